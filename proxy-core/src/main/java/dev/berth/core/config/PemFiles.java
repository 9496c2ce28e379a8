package dev.berth.core.config;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads the PEM files of the TLS settings with the JDK alone, so that check-config and start-up report a
 * bad file by setting and cause before any socket is opened. Problems are IllegalArgumentExceptions whose
 * message says what is wrong with which file and how to fix it.
 */
public final class PemFiles {
    private static final Pattern BLOCK = Pattern.compile("-----BEGIN ([A-Z0-9 ]+)-----([^-]*)-----END \\1-----");
    private static final String[] KEY_ALGORITHMS = {"RSA", "EC", "Ed25519", "Ed448", "RSASSA-PSS", "DSA"};

    private PemFiles() {
    }

    /** The certificates of a PEM file (a chain or a CA bundle), in file order; at least one. */
    public static List<X509Certificate> certificates(Path file) {
        List<X509Certificate> certificates = new ArrayList<>();
        try {
            CertificateFactory factory = CertificateFactory.getInstance("X.509");
            for (byte[] der : blocks(file, "CERTIFICATE")) {
                certificates.add((X509Certificate) factory.generateCertificate(new ByteArrayInputStream(der)));
            }
        } catch (CertificateException e) {
            throw new IllegalArgumentException(file + " holds an invalid certificate: " + e.getMessage());
        }
        if (certificates.isEmpty()) {
            throw new IllegalArgumentException(file + " holds no PEM certificate (a BEGIN CERTIFICATE block)");
        }
        return certificates;
    }

    /** The unencrypted PKCS#8 private key of a PEM file (-----BEGIN PRIVATE KEY-----). */
    public static PrivateKey privateKey(Path file) {
        List<byte[]> keys = blocks(file, "PRIVATE KEY");
        if (keys.isEmpty()) {
            String text = read(file);
            if (text.contains("-----BEGIN ENCRYPTED PRIVATE KEY") || text.contains("-----BEGIN RSA PRIVATE KEY")
                    || text.contains("-----BEGIN EC PRIVATE KEY")) {
                throw new IllegalArgumentException(file + " holds an encrypted or PKCS#1/SEC1 key; Berth reads unencrypted"
                        + " PKCS#8: convert it with openssl pkcs8 -topk8 -nocrypt -in " + file + " -out key.pem");
            }
            throw new IllegalArgumentException(file + " holds no PEM private key (a BEGIN PRIVATE KEY block)");
        }
        PKCS8EncodedKeySpec spec = new PKCS8EncodedKeySpec(keys.get(0));
        for (String algorithm : KEY_ALGORITHMS) {
            try {
                return KeyFactory.getInstance(algorithm).generatePrivate(spec);
            } catch (GeneralSecurityException | IllegalArgumentException e) {
                // try the next algorithm
            }
        }
        throw new IllegalArgumentException(file + " holds a private key of an unsupported kind (RSA, EC and Ed25519 are read)");
    }

    /** Null when {@code key} belongs to {@code certificate}'s public key, else what is wrong. */
    public static String mismatch(PrivateKey key, X509Certificate certificate) {
        String algorithm = switch (key.getAlgorithm()) {
            case "RSA" -> "SHA256withRSA";
            case "EC" -> "SHA256withECDSA";
            case "DSA" -> "SHA256withDSA";
            default -> key.getAlgorithm(); // Ed25519, Ed448
        };
        try {
            byte[] probe = "berth".getBytes(StandardCharsets.US_ASCII);
            Signature signer = Signature.getInstance(algorithm);
            signer.initSign(key);
            signer.update(probe);
            byte[] signature = signer.sign();
            Signature verifier = Signature.getInstance(algorithm);
            verifier.initVerify(certificate.getPublicKey());
            verifier.update(probe);
            return verifier.verify(signature) ? null : "the key does not belong to the certificate "
                    + certificate.getSubjectX500Principal().getName();
        } catch (GeneralSecurityException e) {
            return "the key does not belong to the certificate " + certificate.getSubjectX500Principal().getName()
                    + " (" + e.getMessage() + ")";
        }
    }

    private static List<byte[]> blocks(Path file, String type) {
        List<byte[]> blocks = new ArrayList<>();
        Matcher m = BLOCK.matcher(read(file));
        while (m.find()) {
            if (m.group(1).equals(type)) {
                try {
                    blocks.add(Base64.getMimeDecoder().decode(m.group(2)));
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException(file + " holds a " + type + " block that is not base64: " + e.getMessage());
                }
            }
        }
        return blocks;
    }

    private static String read(Path file) {
        try {
            return Files.readString(file, StandardCharsets.ISO_8859_1);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read " + file + ": " + e);
        }
    }
}
