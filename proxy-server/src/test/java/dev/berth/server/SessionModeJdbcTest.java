package dev.berth.server;

import dev.berth.core.config.PoolMode;

/** {@link JdbcClientsTest} in session pooling. */
class SessionModeJdbcTest extends JdbcClientsTest {
    @Override
    PoolMode mode() {
        return PoolMode.SESSION;
    }
}
