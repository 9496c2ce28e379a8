package dev.berth.server;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A test certificate authority (BouncyCastle) that writes PEM files: its own certificate, server
 * certificates for localhost and 127.0.0.1, and client certificates whose CN is a user name.
 */
public final class TestCertificates {
    private static final AtomicLong SERIAL = new AtomicLong(System.currentTimeMillis());

    /** A certificate and its unencrypted PKCS#8 key, as PEM files. */
    public record Pem(Path cert, Path key) {
    }

    private final Path dir;
    private final X500Name name;
    private final KeyPair keys;
    private final Path caFile;

    private TestCertificates(String caName) {
        try {
            dir = Files.createTempDirectory("berth-certs");
            name = new X500Name("CN=" + caName);
            keys = newKeys();
            X509Certificate ca = sign(name, keys.getPublic(), builder -> {
                builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
                builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
            });
            caFile = write("ca.pem", "CERTIFICATE", ca.getEncoded());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A new CA named {@code caName}. */
    public static TestCertificates authority(String caName) {
        return new TestCertificates(caName);
    }

    /** The CA's certificate (what sslrootcert and tls_ca point at). */
    public Path ca() {
        return caFile;
    }

    /** A server certificate for localhost and 127.0.0.1, with {@code cn} as its subject. */
    public Pem server(String cn) {
        return issue(cn, true);
    }

    /** A client certificate whose CN is {@code cn} (the user name verify-full compares). */
    public Pem client(String cn) {
        return issue(cn, false);
    }

    private Pem issue(String cn, boolean server) {
        try {
            KeyPair subject = newKeys();
            X509Certificate cert = sign(new X500Name("CN=" + cn), subject.getPublic(), builder -> {
                if (server) {
                    builder.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName[] {
                            new GeneralName(GeneralName.dNSName, "localhost"), new GeneralName(GeneralName.iPAddress, "127.0.0.1")}));
                }
            });
            String base = (server ? "server-" : "client-") + cn + "-" + SERIAL.incrementAndGet();
            return new Pem(write(base + ".crt", "CERTIFICATE", cert.getEncoded()),
                    write(base + ".key", "PRIVATE KEY", subject.getPrivate().getEncoded()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private interface Extensions {
        void add(JcaX509v3CertificateBuilder builder) throws IOException;
    }

    private X509Certificate sign(X500Name subject, PublicKey key, Extensions extensions)
            throws IOException, GeneralSecurityException {
        Instant now = Instant.now();
        JcaX509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(name, BigInteger.valueOf(SERIAL.incrementAndGet()),
                Date.from(now.minus(Duration.ofHours(1))), Date.from(now.plus(Duration.ofDays(2))), subject, key);
        extensions.add(builder);
        try {
            return new JcaX509CertificateConverter().getCertificate(
                    builder.build(new JcaContentSignerBuilder("SHA256withRSA").build(keys.getPrivate())));
        } catch (OperatorCreationException e) {
            throw new GeneralSecurityException(e);
        }
    }

    private static KeyPair newKeys() throws GeneralSecurityException {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
        generator.initialize(2048);
        return generator.generateKeyPair();
    }

    private Path write(String file, String type, byte[] der) throws IOException {
        String pem = "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
                + "\n-----END " + type + "-----\n";
        Path path = Files.writeString(dir.resolve(file), pem);
        Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rw-------")); // libpq and pgjdbc refuse keys others can read
        return path;
    }
}
