package dev.berth.server;

import dev.berth.core.config.PoolMode;

/** {@link JdbcClientsTest} in transaction pooling. */
class TransactionModeJdbcTest extends JdbcClientsTest {
    @Override
    PoolMode mode() {
        return PoolMode.TRANSACTION;
    }
}
