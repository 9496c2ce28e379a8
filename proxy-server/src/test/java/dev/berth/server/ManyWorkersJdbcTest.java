package dev.berth.server;

import dev.berth.core.config.PoolMode;

/**
 * {@link JdbcClientsTest} in transaction pooling on more event loops than the machine has cores, so that
 * clients often get a backend of another loop: the paths where grants, releases and forwarded messages
 * cross threads.
 */
class ManyWorkersJdbcTest extends JdbcClientsTest {
    @Override
    PoolMode mode() {
        return PoolMode.TRANSACTION;
    }

    @Override
    int workers() {
        return 5;
    }
}
