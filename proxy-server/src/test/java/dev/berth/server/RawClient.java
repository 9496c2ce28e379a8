package dev.berth.server;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** A minimal wire-protocol client for tests that need byte-level precision. */
public final class RawClient implements AutoCloseable {
    public record Message(char type, byte[] payload) {
        public String text() {
            return new String(payload, StandardCharsets.UTF_8);
        }

        /** A field of an ErrorResponse/NoticeResponse ('C' = SQLSTATE, 'M' = message, 'S' = severity). */
        public String field(char code) {
            int i = 0;
            while (i < payload.length && payload[i] != 0) {
                int end = i + 1;
                while (payload[end] != 0) {
                    end++;
                }
                if (payload[i] == code) {
                    return new String(payload, i + 1, end - i - 1, StandardCharsets.UTF_8);
                }
                i = end + 1;
            }
            return null;
        }

        public int int32(int offset) {
            return ByteBuffer.wrap(payload).getInt(offset);
        }
    }

    private final Socket socket;
    private final DataInputStream in;
    private final OutputStream out;

    public RawClient(int port) throws IOException {
        socket = new Socket("127.0.0.1", port);
        socket.setSoTimeout(10_000);
        in = new DataInputStream(socket.getInputStream());
        out = socket.getOutputStream();
    }

    public RawClient send(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
        return this;
    }

    public RawClient startup(Map<String, String> params) throws IOException {
        return startup(196608, params);
    }

    public RawClient startup(int version, Map<String, String> params) throws IOException {
        ByteBuffer body = ByteBuffer.allocate(1024);
        body.putInt(0).putInt(version);
        params.forEach((k, v) -> {
            body.put(k.getBytes(StandardCharsets.UTF_8)).put((byte) 0);
            body.put(v.getBytes(StandardCharsets.UTF_8)).put((byte) 0);
        });
        body.put((byte) 0);
        body.putInt(0, body.position());
        byte[] bytes = new byte[body.position()];
        body.flip().get(bytes);
        return send(bytes);
    }

    public RawClient message(char type, byte[] payload) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(5 + payload.length);
        b.put((byte) type).putInt(4 + payload.length).put(payload);
        return send(b.array());
    }

    public RawClient query(String sql) throws IOException {
        return message('Q', cstring(sql));
    }

    // ---- extended protocol ----

    public RawClient parse(String name, String sql, int... parameterTypes) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(1024 + sql.length() * 3);
        b.put(cstring(name)).put(cstring(sql)).putShort((short) parameterTypes.length);
        for (int t : parameterTypes) {
            b.putInt(t);
        }
        return message('P', java.util.Arrays.copyOf(b.array(), b.position()));
    }

    /** Bind with text parameters and text results. */
    public RawClient bind(String portal, String statement, String... parameters) throws IOException {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        java.io.DataOutputStream d = new java.io.DataOutputStream(out);
        d.write(cstring(portal));
        d.write(cstring(statement));
        d.writeShort(0);
        d.writeShort(parameters.length);
        for (String p : parameters) {
            byte[] bytes = p.getBytes(StandardCharsets.UTF_8);
            d.writeInt(bytes.length);
            d.write(bytes);
        }
        d.writeShort(0);
        return message('B', out.toByteArray());
    }

    public RawClient describe(char what, String name) throws IOException {
        byte[] n = cstring(name);
        byte[] payload = new byte[n.length + 1];
        payload[0] = (byte) what;
        System.arraycopy(n, 0, payload, 1, n.length);
        return message('D', payload);
    }

    public RawClient execute(String portal) throws IOException {
        byte[] n = cstring(portal);
        return message('E', ByteBuffer.allocate(n.length + 4).put(n).putInt(0).array());
    }

    public RawClient close(char what, String name) throws IOException {
        byte[] n = cstring(name);
        byte[] payload = new byte[n.length + 1];
        payload[0] = (byte) what;
        System.arraycopy(n, 0, payload, 1, n.length);
        return message('C', payload);
    }

    public RawClient sync() throws IOException {
        return message('S', new byte[0]);
    }

    public RawClient flush() throws IOException {
        return message('H', new byte[0]);
    }

    /** Execute with a row limit (0 = all rows). */
    public RawClient execute(String portal, int maxRows) throws IOException {
        byte[] n = cstring(portal);
        return message('E', ByteBuffer.allocate(n.length + 4).put(n).putInt(maxRows).array());
    }

    public RawClient describeStatement(String name) throws IOException {
        return describe('S', name);
    }

    public RawClient describePortal(String name) throws IOException {
        return describe('P', name);
    }

    /** Reads messages up to and including the {@code count}-th ReadyForQuery. */
    public List<Message> readUntilReady(int count) throws IOException {
        List<Message> messages = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            messages.addAll(readUntil('Z'));
        }
        return messages;
    }

    /** Starts a batch of messages that {@link #send(Batch)} writes at once, so that Berth reads them together. */
    public static Batch batch() {
        return new Batch();
    }

    public RawClient send(Batch batch) throws IOException {
        return send(batch.toByteArray());
    }

    /** Frontend messages collected for one write (the same encodings as the methods above). */
    public static final class Batch {
        private final java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();

        public Batch message(char type, byte[] payload) {
            ByteBuffer b = ByteBuffer.allocate(5 + payload.length);
            b.put((byte) type).putInt(4 + payload.length).put(payload);
            bytes.writeBytes(b.array());
            return this;
        }

        public Batch query(String sql) {
            return message('Q', cstring(sql));
        }

        public Batch parse(String name, String sql, int... parameterTypes) {
            java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
            out.writeBytes(cstring(name));
            out.writeBytes(cstring(sql));
            ByteBuffer types = ByteBuffer.allocate(2 + 4 * parameterTypes.length).putShort((short) parameterTypes.length);
            for (int t : parameterTypes) {
                types.putInt(t);
            }
            out.writeBytes(types.array());
            return message('P', out.toByteArray());
        }

        /** Bind with text parameters and text results. */
        public Batch bind(String portal, String statement, String... parameters) {
            java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
            out.writeBytes(cstring(portal));
            out.writeBytes(cstring(statement));
            ByteBuffer head = ByteBuffer.allocate(4).putShort((short) 0).putShort((short) parameters.length);
            out.writeBytes(head.array());
            for (String p : parameters) {
                byte[] value = p.getBytes(StandardCharsets.UTF_8);
                out.writeBytes(ByteBuffer.allocate(4).putInt(value.length).array());
                out.writeBytes(value);
            }
            out.writeBytes(new byte[] {0, 0});
            return message('B', out.toByteArray());
        }

        public Batch describe(char what, String name) {
            return message('D', kindAndName(what, name));
        }

        public Batch describeStatement(String name) {
            return describe('S', name);
        }

        public Batch describePortal(String name) {
            return describe('P', name);
        }

        public Batch execute(String portal) {
            return execute(portal, 0);
        }

        public Batch execute(String portal, int maxRows) {
            byte[] n = cstring(portal);
            return message('E', ByteBuffer.allocate(n.length + 4).put(n).putInt(maxRows).array());
        }

        public Batch close(char what, String name) {
            return message('C', kindAndName(what, name));
        }

        public Batch sync() {
            return message('S', new byte[0]);
        }

        public Batch flush() {
            return message('H', new byte[0]);
        }

        public byte[] toByteArray() {
            return bytes.toByteArray();
        }

        private static byte[] kindAndName(char what, String name) {
            byte[] n = cstring(name);
            byte[] payload = new byte[n.length + 1];
            payload[0] = (byte) what;
            System.arraycopy(n, 0, payload, 1, n.length);
            return payload;
        }
    }

    /** Every column of a DataRow, as text (null for SQL NULL). */
    public static List<String> columns(Message dataRow) {
        ByteBuffer b = ByteBuffer.wrap(dataRow.payload());
        int count = b.getShort();
        List<String> values = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            int len = b.getInt();
            if (len < 0) {
                values.add(null);
            } else {
                values.add(new String(dataRow.payload(), b.position(), len, StandardCharsets.UTF_8));
                b.position(b.position() + len);
            }
        }
        return values;
    }

    /** The SQLSTATE of each ErrorResponse, in order. */
    public static List<String> errorCodes(List<Message> messages) {
        List<String> codes = new ArrayList<>();
        for (Message m : messages) {
            if (m.type() == 'E') {
                codes.add(m.field('C'));
            }
        }
        return codes;
    }

    /** Logs in with trust (no password exchange expected) and reads up to ReadyForQuery. */
    public static RawClient login(int port, String user, String database) throws IOException {
        RawClient c = new RawClient(port);
        c.startup(Map.of("user", user, "database", database));
        c.readUntil('Z');
        return c;
    }

    /** The type characters of the messages, in order, e.g. "12DCZ". */
    public static String types(List<Message> messages) {
        StringBuilder sb = new StringBuilder();
        messages.forEach(m -> sb.append(m.type()));
        return sb.toString();
    }

    /** The first column of each DataRow, as text. */
    public static List<String> firstColumns(List<Message> messages) {
        List<String> values = new ArrayList<>();
        for (Message m : messages) {
            if (m.type() == 'D') {
                ByteBuffer b = ByteBuffer.wrap(m.payload());
                b.getShort();
                int len = b.getInt();
                values.add(len < 0 ? null : new String(m.payload(), 6, len, StandardCharsets.UTF_8));
            }
        }
        return values;
    }

    public static byte[] cstring(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        byte[] r = new byte[b.length + 1];
        System.arraycopy(b, 0, r, 0, b.length);
        return r;
    }

    public Message read() throws IOException {
        char type = (char) in.readUnsignedByte();
        int length = in.readInt();
        byte[] payload = new byte[length - 4];
        in.readFully(payload);
        return new Message(type, payload);
    }

    /** Reads messages up to and including the first of the given type. */
    public List<Message> readUntil(char type) throws IOException {
        List<Message> messages = new ArrayList<>();
        Message m;
        do {
            m = read();
            messages.add(m);
        } while (m.type() != type);
        return messages;
    }

    /** Reads a single byte (SSL/GSS answers). */
    public int readByte() throws IOException {
        return in.read();
    }

    /** True when the server closed the connection (EOF) within the socket timeout. */
    public boolean closedByServer() throws IOException {
        try {
            while (true) {
                if (in.read() < 0) {
                    return true;
                }
            }
        } catch (EOFException e) {
            return true;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return true; // reset
        }
    }

    public void setTimeout(int ms) throws IOException {
        socket.setSoTimeout(ms);
    }

    public void shutdownOutput() throws IOException {
        socket.shutdownOutput();
    }

    /** Closes with an RST, as a killed process's socket or a broken network ends. */
    public void reset() throws IOException {
        socket.setSoLinger(true, 0);
        socket.close();
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
