package dev.berth.core.hba;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HbaRulesTest {
    private static InetAddress ip(String s) throws IOException {
        return InetAddress.getByName(s);
    }

    private static HbaMethod method(HbaRules rules, boolean tls, String address, String db, String user) throws IOException {
        HbaRule rule = rules.match(tls, ip(address), db, user);
        return rule == null ? null : rule.method();
    }

    @Test
    void firstMatchingLineWinsByTypeDatabaseUserAndAddress() throws IOException {
        HbaRules rules = HbaRules.parse(List.of(
                "# comment",
                "local   all        all                      trust",
                "hostssl all        certuser  all            cert clientcert=verify-full",
                "host    blocked    all       0.0.0.0/0      reject   # trailing comment",
                "host    sameuser   all       127.0.0.1/32   trust",
                "hostnossl \"all\",app  alice, bob  10.0.0.0 255.0.0.0  md5",
                "host    all        all       ::1/128        password",
                "host    all        all       192.168.0.0/16 scram-sha-256"), null);
        assertEquals(HbaMethod.CERT, method(rules, true, "127.0.0.1", "x", "certuser"));
        assertEquals(HbaMethod.REJECT, method(rules, false, "127.0.0.1", "blocked", "alice"));
        assertEquals(HbaMethod.TRUST, method(rules, false, "127.0.0.1", "alice", "alice"), "sameuser");
        assertNull(method(rules, false, "127.0.0.1", "app", "alice"), "sameuser only when the names are equal; local never");
        assertEquals(HbaMethod.MD5, method(rules, false, "10.1.2.3", "app", "bob"), "mask column and comma lists");
        assertEquals(HbaMethod.MD5, method(rules, false, "10.1.2.3", "all", "alice"), "a quoted \"all\" is a database name");
        assertNull(method(rules, false, "10.1.2.3", "other", "alice"));
        assertNull(method(rules, true, "10.1.2.3", "app", "bob"), "hostnossl does not match TLS");
        assertNull(method(rules, false, "11.1.2.3", "app", "bob"));
        assertEquals(HbaMethod.PASSWORD, method(rules, false, "::1", "app", "carol"), "IPv6");
        assertNull(method(rules, false, "::2", "app", "carol"));
        assertEquals(HbaMethod.SCRAM_SHA_256, method(rules, false, "192.168.7.7", "app", "carol"));
        assertNull(method(rules, false, "127.0.0.2", "app", "certuser"), "hostssl needs TLS, nothing else matches");
    }

    @Test
    void atFileListsNamesRelativeToTheHbaFile(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("admins"), "alice, bob\ncarol\n");
        Path hba = Files.writeString(dir.resolve("pg_hba.conf"), "host all @admins all trust\nhost all all all reject\n");
        HbaRules rules = HbaRules.load(hba);
        assertEquals(HbaMethod.TRUST, method(rules, false, "1.2.3.4", "db", "carol"));
        assertEquals(HbaMethod.REJECT, method(rules, false, "1.2.3.4", "db", "dave"));
        assertEquals(2, rules.size());
    }

    @Test
    void linesBerthCannotUseAreRefusedNamingTheLine() {
        for (String[] bad : new String[][] {
                {"host all all 127.0.0.1/32 ident", "method \"ident\" is not supported"},
                {"host all all example.com trust", "host names are not supported"},
                {"host all all 127.0.0.1 trust", "needs a CIDR mask"},
                {"host all all 127.0.0.1/33 trust", "invalid CIDR mask"},
                {"hostx all all all trust", "invalid connection type"},
                {"host all +group all trust", "is not supported"},
                {"host all all all", "end of line before an authentication method"},
                {"host all all all md5 map=x", "option \"map=x\" is not supported"},
                {"host \"all all all trust", "unterminated quoted string"}}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> HbaRules.parse(List.of("", bad[0]), Path.of("/etc/pg_hba.conf")), bad[0]);
            assertTrue(e.getMessage().startsWith("pg_hba.conf:2: ") && e.getMessage().contains(bad[1]), e.getMessage());
        }
    }
}
