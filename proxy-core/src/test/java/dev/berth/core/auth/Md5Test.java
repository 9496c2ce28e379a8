package dev.berth.core.auth;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;

import static org.junit.jupiter.api.Assertions.assertEquals;

class Md5Test {

    private static String md5hex(byte[] input) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(input));
    }

    @Test
    void storedHashIsMd5OfPasswordThenUser() throws Exception {
        assertEquals("md5" + md5hex("secretalice".getBytes(StandardCharsets.UTF_8)), Md5.storedHash("secret", "alice"));
    }

    @Test
    void storedHashKnownValue() {
        // md5("") is the well-known d41d8cd98f00b204e9800998ecf8427e
        assertEquals("md5d41d8cd98f00b204e9800998ecf8427e", Md5.storedHash("", ""));
    }

    @Test
    void responseIsMd5OfStoredHexThenSalt() throws Exception {
        String stored = Md5.storedHash("secret", "alice");
        byte[] salt = {(byte) 0x80, 0x01, 0x7f, (byte) 0xff};
        byte[] input = new byte[32 + 4];
        System.arraycopy(stored.substring(3).getBytes(StandardCharsets.US_ASCII), 0, input, 0, 32);
        System.arraycopy(salt, 0, input, 32, 4);
        String response = Md5.response(stored, salt);
        assertEquals("md5" + md5hex(input), response);
        assertEquals(35, response.length());
    }
}
