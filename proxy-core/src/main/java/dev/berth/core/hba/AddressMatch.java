package dev.berth.core.hba;

import java.net.InetAddress;
import java.net.UnknownHostException;

/** The address column: {@code all}, or an IPv4/IPv6 network as CIDR or as an address and a mask column. */
record AddressMatch(byte[] network, byte[] mask) {
    static final AddressMatch ALL = new AddressMatch(null, null);

    boolean matches(InetAddress address) {
        if (network == null) {
            return true;
        }
        byte[] a = address.getAddress();
        if (a.length != network.length) {
            return false; // IPv4 rules do not match IPv6 clients, as in PostgreSQL
        }
        for (int i = 0; i < a.length; i++) {
            if ((a[i] & mask[i]) != (network[i] & mask[i])) {
                return false;
            }
        }
        return true;
    }

    /** {@code 10.0.0.0/8}, {@code ::1/128}, or (with {@code maskText}) {@code 10.0.0.0 255.0.0.0}. */
    static AddressMatch parse(String text, String maskText) {
        if (text.equals("all")) {
            return ALL;
        }
        if (text.equals("samehost") || text.equals("samenet")) {
            throw new IllegalArgumentException("address \"" + text + "\" is not supported: give a network such as 10.0.0.0/8");
        }
        int slash = text.indexOf('/');
        byte[] network = literal(slash < 0 ? text : text.substring(0, slash));
        byte[] mask;
        if (slash >= 0) {
            int bits;
            try {
                bits = Integer.parseInt(text.substring(slash + 1));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("invalid CIDR mask in address \"" + text + "\"");
            }
            if (bits < 0 || bits > network.length * 8) {
                throw new IllegalArgumentException("invalid CIDR mask in address \"" + text + "\"");
            }
            mask = new byte[network.length];
            for (int i = 0; i < bits; i++) {
                mask[i / 8] |= (byte) (0x80 >>> (i % 8));
            }
        } else if (maskText != null) {
            mask = literal(maskText);
            if (mask.length != network.length) {
                throw new IllegalArgumentException("IP address and mask do not match: \"" + text + " " + maskText + "\"");
            }
        } else {
            throw new IllegalArgumentException("address \"" + text + "\" needs a CIDR mask (such as /32) or a mask column");
        }
        return new AddressMatch(network, mask);
    }

    /** Whether {@code text} is an IP address literal (a mask column), never a host name. */
    static boolean isLiteral(String text) {
        return text.matches("[0-9.]+") || text.contains(":");
    }

    private static byte[] literal(String text) {
        if (!isLiteral(text)) {
            throw new IllegalArgumentException("address \"" + text + "\" is not an IP address (host names are not supported)");
        }
        try {
            return InetAddress.getByName(text).getAddress(); // a literal: no name lookup
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("invalid IP address \"" + text + "\"");
        }
    }
}
