package dev.berth.core.auth;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AuthFileTest {
    private static final String MD5 = "md5" + "0123456789abcdef0123456789abcdef";

    private static String b64(byte[] b) {
        return Base64.getEncoder().encodeToString(b);
    }

    private static AuthFile parse(String... lines) {
        return AuthFile.parse(List.of(lines), "userlist.txt");
    }

    @Test
    void parsesQuotedFieldsCommentsAndBlankLines() {
        AuthFile file = parse(
                "; a pgbouncer comment",
                "# another comment",
                "",
                "   ",
                "\"alice\" \"wonderland\"",
                "  \"bob\"\t\"with space\"  ",
                "   ; indented comment");
        assertEquals(2, file.size());
        assertEquals(new Secret.Plain("wonderland"), file.lookup("alice"));
        assertEquals(new Secret.Plain("with space"), file.lookup("bob"));
        assertNull(file.lookup("carol"));
        assertNull(file.lookup("; a pgbouncer comment"));
    }

    @Test
    void doubledQuotesStandForOneQuote() {
        AuthFile file = parse("\"da\"\"ve\" \"pa\"\"ss\"\"\"");
        assertEquals(new Secret.Plain("pa\"ss\""), file.lookup("da\"ve"));
    }

    @Test
    void emptySecretIsAPlainEmptyPassword() {
        assertEquals(new Secret.Plain(""), parse("\"u\" \"\"").lookup("u"));
    }

    @Test
    void md5SecretIsRecognised() {
        Secret s = parse("\"bob\" \"" + MD5 + "\"").lookup("bob");
        assertEquals(new Secret.Md5(MD5), s);
    }

    @Test
    void md5LookalikesArePlainPasswords() {
        AuthFile file = parse(
                "\"short\" \"md5" + "0123456789abcdef0123456789abcde" + "\"",     // 31 hex digits
                "\"long\" \"md5" + "0123456789abcdef0123456789abcdef0" + "\"",    // 33 hex digits
                "\"nonhex\" \"md5" + "0123456789abcdef0123456789abcdeg" + "\"",   // 'g'
                "\"prefix\" \"MD5" + "0123456789abcdef0123456789abcdef" + "\"");  // upper-case prefix
        for (String user : List.of("short", "long", "nonhex", "prefix")) {
            assertInstanceOf(Secret.Plain.class, file.lookup(user), user);
        }
    }

    @Test
    void scramSecretIsParsedIntoItsParts() {
        byte[] salt = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);
        Secret.Scram expected = ScramServerExchange.scramSecret("pencil", salt, 4096);
        String line = "\"carol\" \"SCRAM-SHA-256$4096:" + b64(salt) + "$" + b64(expected.storedKey()) + ":"
                + b64(expected.serverKey()) + "\"";
        Secret.Scram s = assertInstanceOf(Secret.Scram.class, parse(line).lookup("carol"));
        assertEquals(4096, s.iterations());
        assertArrayEquals(salt, s.salt());
        assertArrayEquals(expected.storedKey(), s.storedKey());
        assertArrayEquals(expected.serverKey(), s.serverKey());
    }

    @Test
    void otherStringsArePlainPasswords() {
        AuthFile file = parse("\"u\" \"scram-sha-256 is just a word\"", "\"v\" \"SCRAM-SHA-1$x\"");
        assertEquals(new Secret.Plain("scram-sha-256 is just a word"), file.lookup("u"));
        assertEquals(new Secret.Plain("SCRAM-SHA-1$x"), file.lookup("v"));
    }

    @Test
    void secretsAreMaskedInToString() {
        AuthFile file = parse("\"a\" \"topsecret\"", "\"b\" \"" + MD5 + "\"");
        assertEquals("Plain[****]", file.lookup("a").toString());
        assertEquals("Md5[****]", file.lookup("b").toString());
    }

    private static IllegalArgumentException malformed(String... lines) {
        return assertThrows(IllegalArgumentException.class, () -> parse(lines));
    }

    @Test
    void missingOpeningQuoteNamesTheLine() {
        IllegalArgumentException e = malformed("; comment", "", "alice \"secret\"");
        assertEquals("userlist.txt line 3: missing opening quote (expected \"user\" \"password-or-md5-or-SCRAM-secret\")",
                e.getMessage());
    }

    @Test
    void missingClosingQuoteNamesTheLine() {
        IllegalArgumentException e = malformed("\"a\" \"b\"", "\"alice\" \"secret");
        assertTrue(e.getMessage().startsWith("userlist.txt line 2: missing closing quote"), e.getMessage());
    }

    @Test
    void missingSecretNamesTheLine() {
        IllegalArgumentException e = malformed("\"alice\"");
        assertTrue(e.getMessage().startsWith("userlist.txt line 1: missing opening quote"), e.getMessage());
    }

    @Test
    void malformedScramSecretNamesTheLine() {
        String stored = b64(new byte[32]);
        for (String bad : List.of(
                "SCRAM-SHA-256$4096:c2FsdA==",                                   // no keys
                "SCRAM-SHA-256$4096$" + stored + ":" + stored,                   // no salt
                "SCRAM-SHA-256$x:c2FsdA==$" + stored + ":" + stored,            // iterations not a number
                "SCRAM-SHA-256$0:c2FsdA==$" + stored + ":" + stored,            // zero iterations
                "SCRAM-SHA-256$4096:c2FsdA==$" + b64(new byte[31]) + ":" + stored, // short StoredKey
                "SCRAM-SHA-256$4096:c2FsdA==$" + stored + ":!!notbase64!!")) {
            IllegalArgumentException e = malformed("# c", "\"u\" \"" + bad + "\"");
            assertTrue(e.getMessage().startsWith("userlist.txt line 2: malformed SCRAM-SHA-256 secret"),
                    bad + " -> " + e.getMessage());
        }
    }

    @Test
    void loadsFromAFile(@TempDir Path dir) throws IOException {
        Path path = dir.resolve("userlist.txt");
        Files.writeString(path, "; users\n\"jürgen\" \"pässword\"\n\"x\" \"y\"\n", StandardCharsets.UTF_8);
        AuthFile file = AuthFile.load(path);
        assertEquals(2, file.size());
        assertEquals(new Secret.Plain("pässword"), file.lookup("jürgen"));
    }

    @Test
    void loadNamesTheFileInErrors(@TempDir Path dir) throws IOException {
        Path path = dir.resolve("users.txt");
        Files.writeString(path, "\"ok\" \"ok\"\nbad\n", StandardCharsets.UTF_8);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> AuthFile.load(path));
        assertTrue(e.getMessage().startsWith(path + " line 2: "), e.getMessage());
    }

    @Test
    void aPlaintextPasswordsScramSecretIsDerivedOnceOffTheCallersThread() throws Exception {
        java.util.List<Runnable> tasks = new java.util.ArrayList<>();
        AuthFile file = AuthFile.parse(List.of("\"alice\" \"wonderland\"", "\"bob\" \"md5" + "0".repeat(32) + "\""),
                "userlist.txt", tasks::add);
        java.util.concurrent.CompletableFuture<Secret> first = file.secret("alice").toCompletableFuture();
        assertTrue(!first.isDone(), "derived on the executor, not here");
        assertTrue(file.secret("bob").toCompletableFuture().isDone(), "an md5 hash needs nothing");
        assertEquals(1, tasks.size());
        tasks.get(0).run();
        Secret.Plain alice = (Secret.Plain) first.join();
        assertEquals("wonderland", alice.password());
        assertArrayEquals(ScramServerExchange.scramSecret("wonderland", alice.scram().salt(), 4096).storedKey(),
                alice.scram().storedKey());
        assertTrue(file.secret("alice").toCompletableFuture().isDone(), "kept for the next login");
        assertEquals(1, tasks.size(), "derived once");
    }

    @Test
    void aReloadKeepsTheDerivedSecretsOfUnchangedPasswordsOnly(@TempDir Path dir) throws Exception {
        Path path = dir.resolve("users.txt");
        Files.writeString(path, "\"alice\" \"wonderland\"\n\"carol\" \"old\"\n", StandardCharsets.UTF_8);
        AuthFile first = AuthFile.load(path);
        Secret.Plain alice = (Secret.Plain) first.secret("alice").toCompletableFuture().get(60, TimeUnit.SECONDS);
        first.secret("carol").toCompletableFuture().get(60, TimeUnit.SECONDS);
        Files.writeString(path, "\"alice\" \"wonderland\"\n\"carol\" \"new\"\n", StandardCharsets.UTF_8);
        long before = KeyDerivation.count();
        AuthFile second = AuthFile.load(path, first);
        assertSame(alice, second.secret("alice").toCompletableFuture().getNow(null), "unchanged password: kept, same salt");
        Secret.Plain carol = (Secret.Plain) second.secret("carol").toCompletableFuture().get(60, TimeUnit.SECONDS);
        assertEquals("new", carol.password());
        assertArrayEquals(ScramServerExchange.scramSecret("new", carol.scram().salt(), 4096).storedKey(), carol.scram().storedKey());
        assertEquals(2, KeyDerivation.count() - before, "carol's new password derived once (and once more to check it here)");
    }
}
