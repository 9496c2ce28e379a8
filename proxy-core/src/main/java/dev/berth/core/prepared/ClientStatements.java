package dev.berth.core.prepared;

import java.util.Collections;
import java.util.HashMap;
import java.util.Map;

/** One client's named statements: its own name to the statement and the server-side name it runs under. */
public final class ClientStatements {
    /** A client's statement. The server name changes if the statement has to be re-prepared under a new one. */
    public static final class Statement {
        final StatementKey key;
        String serverName;
        /** Bound or described since it was parsed: the client may know its shape. */
        private boolean used;

        Statement(StatementKey key, String serverName) {
            this.key = key;
            this.serverName = serverName;
        }

        public StatementKey key() {
            return key;
        }

        public String serverName() {
            return serverName;
        }

        /** True the first time it is asked: the client binds or describes the statement for the first time. */
        public boolean firstUse() {
            if (used) {
                return false;
            }
            used = true;
            return true;
        }
    }

    /** Created by the first named statement: most clients never name one, and 10,000 idle ones pay nothing. */
    private Map<String, Statement> statements = Collections.emptyMap();
    /** The client's last Parse of the unnamed statement, as sent; null once a Query or a failure destroyed it. */
    private byte[] unnamedParse;

    public Statement get(String clientName) {
        return statements.get(clientName);
    }

    public Statement put(String clientName, StatementKey key, String serverName) {
        Statement s = new Statement(key, serverName);
        if (statements.isEmpty()) {
            statements = new HashMap<>();
        }
        statements.put(clientName, s);
        return s;
    }

    /** Removes the name; returns the statement it had, or null. */
    public Statement remove(String clientName) {
        return statements.remove(clientName);
    }

    /** Undoes a Parse the server skipped: the name goes if it still means the statement that Parse created. */
    public void undoPut(String clientName, Statement created) {
        if (!statements.isEmpty()) { // the shared empty map refuses even a remove
            statements.remove(clientName, created);
        }
    }

    /** Undoes a Close the server skipped: the name means {@code removed} again, unless something took it since. */
    public void undoRemove(String clientName, Statement removed) {
        if (statements.isEmpty()) {
            statements = new HashMap<>();
        }
        statements.putIfAbsent(clientName, removed);
    }

    /** Points every statement of this client with {@code oldName} to {@code newName}. */
    public void rename(String oldName, String newName) {
        for (Statement s : statements.values()) {
            if (s.serverName.equals(oldName)) {
                s.serverName = newName;
            }
        }
    }

    /** Points one of the client's statements to another server-side name (no-op for a name it does not have). */
    public void reassign(String clientName, String serverName) {
        Statement s = statements.get(clientName);
        if (s != null) {
            s.serverName = serverName;
        }
    }

    /** The client parsed the unnamed statement: it lives until replaced or destroyed, on whatever server the client has. */
    public void unnamedParsed(byte[] parseMessage) {
        unnamedParse = parseMessage;
    }

    public byte[] unnamedParse() {
        return unnamedParse;
    }

    /** A simple Query (or a failed Parse) destroyed the unnamed statement, as in PostgreSQL. */
    public void forgetUnnamed() {
        unnamedParse = null;
    }

    public void clear() {
        statements = Collections.emptyMap();
    }

    public int size() {
        return statements.size();
    }
}
