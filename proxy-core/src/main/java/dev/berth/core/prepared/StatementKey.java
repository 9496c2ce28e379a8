package dev.berth.core.prepared;

import java.util.Arrays;

/**
 * What makes two prepared statements the same: the full query text and the parameter type OIDs.
 * Equality compares the whole text, never only a hash.
 */
public final class StatementKey {
    private final String query;
    private final int[] parameterTypes;
    private final int hash;

    public StatementKey(String query, int[] parameterTypes) {
        this.query = query;
        this.parameterTypes = parameterTypes;
        this.hash = 31 * query.hashCode() + Arrays.hashCode(parameterTypes);
    }

    public String query() {
        return query;
    }

    public int[] parameterTypes() {
        return parameterTypes;
    }

    /** Approximate memory held by this key, for the registry's cap. */
    public int sizeInBytes() {
        return 64 + 2 * query.length() + 4 * parameterTypes.length;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof StatementKey k && k.hash == hash && k.query.equals(query)
                && Arrays.equals(k.parameterTypes, parameterTypes);
    }

    @Override
    public int hashCode() {
        return hash;
    }

    @Override
    public String toString() {
        return query.length() > 60 ? query.substring(0, 60) + "..." : query;
    }
}
