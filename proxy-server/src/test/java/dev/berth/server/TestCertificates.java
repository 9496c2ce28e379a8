package dev.berth.server;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Certificates made in the test (no tool outside the JVM): a CA, and certificates it signs for
 * given names, written as PEM files (keys as unencrypted PKCS#8, readable by the owner only, as
 * PostgreSQL demands of ssl_key_file and libpq and pgjdbc of a client key). Two ways in: the static
 * {@link #ca}/{@link #issue} for any names, and an {@link #authority} with {@link #server} (localhost and
 * 127.0.0.1) and {@link #client} (CN = the user name) certificates.
 */
public final class TestCertificates {
    private static final AtomicLong SERIAL = new AtomicLong(System.currentTimeMillis());

    /** A key pair and its certificate, and the PEM files they were written to. */
    public record Issued(KeyPair keys, X509Certificate certificate, Path certFile, Path keyFile) {
    }

    /** A certificate and its key, as PEM files. */
    public record Pem(Path cert, Path key) {
    }

    private final Path dir;
    private final Issued authority;

    private TestCertificates(Path dir, Issued authority) {
        this.dir = dir;
        this.authority = authority;
    }

    /** A new CA named {@code caName}, writing its files to a temporary directory. */
    public static TestCertificates authority(String caName) {
        Path dir = TempFiles.directory("berth-certs");
        return new TestCertificates(dir, ca(dir, caName));
    }

    /** The CA's certificate (what sslrootcert and tls_ca point at). */
    public Path ca() {
        return authority.certFile();
    }

    /** A server certificate for localhost and 127.0.0.1, with {@code cn} as its subject. */
    public Pem server(String cn) {
        Issued issued = issue(dir, authority, cn, "localhost", "ip:127.0.0.1");
        return new Pem(issued.certFile(), issued.keyFile());
    }

    /** A client certificate whose CN is {@code cn} (the user name verify-full compares). */
    public Pem client(String cn) {
        Issued issued = issue(dir, authority, cn);
        return new Pem(issued.certFile(), issued.keyFile());
    }

    /** A self-signed CA named {@code cn}. */
    public static Issued ca(Path dir, String cn) {
        KeyPair keys = newKeys();
        X500Name name = new X500Name("CN=" + cn);
        return write(dir, cn, keys, sign(name, keys.getPrivate(), name, keys, true, null));
    }

    /**
     * A certificate for {@code cn} signed by {@code ca}, with subject alternative names: DNS names, and IP
     * addresses for entries that start with "ip:" (e.g. "ip:127.0.0.1").
     */
    public static Issued issue(Path dir, Issued ca, String cn, String... altNames) {
        KeyPair keys = newKeys();
        GeneralName[] names = new GeneralName[altNames.length];
        for (int i = 0; i < altNames.length; i++) {
            names[i] = altNames[i].startsWith("ip:") ? new GeneralName(GeneralName.iPAddress, altNames[i].substring(3))
                    : new GeneralName(GeneralName.dNSName, altNames[i]);
        }
        X500Name issuer = new X500Name(ca.certificate().getSubjectX500Principal().getName());
        return write(dir, cn, keys, sign(issuer, ca.keys().getPrivate(), new X500Name("CN=" + cn), keys, false,
                names.length == 0 ? null : new GeneralNames(names)));
    }

    private static KeyPair newKeys() {
        try {
            // RSA: what every engine and driver under test reads (pgjdbc's client keys, the JDK's and BoringSSL's)
            KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
            generator.initialize(2048);
            return generator.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static X509Certificate sign(X500Name issuer, PrivateKey issuerKey, X500Name subject, KeyPair keys, boolean ca,
                                        GeneralNames altNames) {
        Instant now = Instant.now();
        try {
            JcaX509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(issuer, BigInteger.valueOf(SERIAL.incrementAndGet()),
                    Date.from(now.minus(Duration.ofHours(1))), Date.from(now.plus(Duration.ofDays(2))), subject, keys.getPublic());
            builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(ca));
            builder.addExtension(Extension.keyUsage, true, new KeyUsage(ca ? KeyUsage.keyCertSign | KeyUsage.cRLSign
                    : KeyUsage.digitalSignature | KeyUsage.keyEncipherment));
            if (altNames != null) {
                builder.addExtension(Extension.subjectAlternativeName, false, altNames);
            }
            X509CertificateHolder holder = builder.build(new JcaContentSignerBuilder("SHA256withRSA").build(issuerKey));
            return new JcaX509CertificateConverter().getCertificate(holder);
        } catch (GeneralSecurityException | OperatorCreationException | IOException e) {
            throw new IllegalStateException("cannot make a test certificate for " + subject, e);
        }
    }

    private static Issued write(Path dir, String name, KeyPair keys, X509Certificate certificate) {
        try {
            String file = name.replaceAll("[^A-Za-z0-9.-]", "_") + "-" + SERIAL.incrementAndGet();
            Path cert = Files.writeString(dir.resolve(file + ".crt"), pem(certificate));
            Path key = dir.resolve(file + ".key");
            Files.writeString(key, pem(new JcaPKCS8Generator(keys.getPrivate(), null)));
            Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-------"));
            return new Issued(keys, certificate, cert, key);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String pem(Object o) throws IOException {
        StringWriter out = new StringWriter();
        try (JcaPEMWriter writer = new JcaPEMWriter(out)) {
            writer.writeObject(o);
        }
        return out.toString();
    }
}
