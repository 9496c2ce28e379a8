package dev.berth.core.auth;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** PostgreSQL's md5 password scheme: {@code "md5" + md5hex(md5hex(password + user) + salt)}. */
public final class Md5 {
    private Md5() {
    }

    /** The stored form: {@code "md5" + md5hex(password + user)}. */
    public static String storedHash(String password, String user) {
        return "md5" + hex(digest((password + user).getBytes(StandardCharsets.UTF_8)));
    }

    /** The response to an md5 challenge, from the stored form. */
    public static String response(String storedHash, byte[] salt) {
        byte[] hash = storedHash.substring(3).getBytes(StandardCharsets.US_ASCII);
        byte[] input = new byte[hash.length + salt.length];
        System.arraycopy(hash, 0, input, 0, hash.length);
        System.arraycopy(salt, 0, input, hash.length, salt.length);
        return "md5" + hex(digest(input));
    }

    private static byte[] digest(byte[] input) {
        try {
            return MessageDigest.getInstance("MD5").digest(input);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String hex(byte[] bytes) {
        return HexFormat.of().formatHex(bytes);
    }
}
