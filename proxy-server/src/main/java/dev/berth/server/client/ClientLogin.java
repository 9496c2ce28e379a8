package dev.berth.server.client;

import dev.berth.core.auth.AuthType;
import dev.berth.core.auth.ClientAuthenticator;
import dev.berth.core.auth.Secret;
import dev.berth.core.auth.SecretOrigin;
import dev.berth.core.auth.SecretSource;
import dev.berth.core.config.RuntimeConfig;
import dev.berth.core.hba.HbaMethod;
import dev.berth.core.pool.PoolRoute;
import dev.berth.core.protocol.Messages;
import dev.berth.core.protocol.PgFrameDecoder;
import dev.berth.core.protocol.ProtocolException;
import dev.berth.core.protocol.SqlState;
import dev.berth.core.protocol.StartupPacket;
import dev.berth.core.session.ParameterView;
import dev.berth.core.session.StartupParameters;
import dev.berth.server.Coalescer;
import dev.berth.server.ProxyContext;
import dev.berth.server.admin.AdminConsole;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.util.concurrent.ScheduledFuture;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * A client's login: the startup packet (SSLRequest handed to {@link ClientTls}, GSSENCRequest refused,
 * cancel requests passed on), the
 * user's secret from the {@link SecretSource} (asynchronously: a lookup never blocks the event loop),
 * the authentication exchange, the admin console hand-off, and — once a server is in line with the
 * client — the greeting, all within the client login timeout.
 */
final class ClientLogin {
    private static final Logger LOG = Logger.getLogger(ClientLogin.class.getName());

    private final ClientSession session;
    private ScheduledFuture<?> timer;
    private StartupParameters startupParameters;
    private ClientAuthenticator authenticator;
    private AuthType authType;
    private Secret secret;
    private SecretOrigin origin;
    private boolean loggedIn;

    ClientLogin(ClientSession session) {
        this.session = session;
    }

    void startTimer() {
        long timeout = session.config().clientLoginTimeoutMs();
        timer = session.ctx().executor().schedule(() -> session.disconnect(SqlState.CONNECTION_FAILURE,
                "login not completed within " + timeout + " ms (--client-login-timeout)", Level.INFO), timeout, TimeUnit.MILLISECONDS);
    }

    void cancelTimer() {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }

    void onStartup(ByteBuf frame) {
        try {
            StartupPacket packet = StartupPacket.decode(frame);
            switch (packet.kind()) {
                case SSL_REQUEST -> session.tls().onSslRequest();
                case GSSENC_REQUEST -> session.ctx().writeAndFlush(Messages.NO_ENCRYPTION.duplicate());
                case CANCEL_REQUEST -> onCancelRequest(packet);
                case STARTUP -> start(packet);
                case TERMINATE -> session.end().close(); // connect() then end() in a driver: PostgreSQL closes silently too
            }
        } finally {
            frame.release();
        }
    }

    /**
     * Passes a cancel request on and closes this connection when it has been dealt with, as PostgreSQL
     * closes it only after signalling the backend: a client that waits for that close before its next
     * query must not see a late cancel hit that query. The forward's own timeout bounds the wait, so
     * the login timer stops; nothing more is read from a cancel connection.
     */
    private void onCancelRequest(StartupPacket packet) {
        cancelTimer();
        session.ctx().channel().config().setAutoRead(false);
        Channel channel = session.ctx().channel();
        session.proxy().cancels().forward(packet.cancelProcessId(), packet.cancelSecretKey(), session.remote(), channel::close);
    }

    void onPassword(ByteBuf frame) {
        try {
            if (authenticator == null) { // the secret is still being looked up: nothing was asked yet
                session.disconnect(SqlState.PROTOCOL_VIOLATION, "unexpected message before the authentication request", Level.INFO);
                return;
            }
            step(authenticator.onPasswordMessage(session.ctx().alloc(), frame));
        } finally {
            frame.release();
        }
    }

    private void start(StartupPacket packet) {
        ChannelHandlerContext ctx = session.ctx();
        Map<String, String> params = packet.parameters();
        String user = params.get("user");
        if (user == null || user.isEmpty()) {
            session.disconnect(SqlState.INVALID_AUTHORIZATION, "no PostgreSQL user name specified in startup packet", Level.INFO);
            return;
        }
        if (!session.tls().admits(user)) {
            return;
        }
        String database = params.getOrDefault("database", user);
        session.identify(user, database.isEmpty() ? user : database);
        String defaultApplicationName = session.config().databases().applicationName(session.database());
        if (defaultApplicationName != null && !params.containsKey("application_name")) {
            params = new LinkedHashMap<>(params); // the [databases] entry's default, as pgbouncer's application_name
            params.put("application_name", defaultApplicationName);
        }
        try {
            startupParameters = StartupParameters.from(params);
        } catch (ProtocolException e) {
            session.disconnect(SqlState.PROTOCOL_VIOLATION, e.getMessage(), Level.INFO);
            return;
        }
        if (packet.minorVersion() > 0 || !packet.protocolOptions().isEmpty()) {
            ctx.write(Messages.negotiateProtocolVersion(ctx.alloc(), packet.protocolOptions()));
        }
        authType = session.config().authType();
        if (authType == AuthType.HBA) {
            HbaMethod method = new HbaCheck(session).method();
            if (method == null) {
                return; // refused, and told why
            }
            session.moveTo(ClientState.AUTHENTICATING);
            if (method.authType() == null || method == HbaMethod.TRUST) {
                step(new ClientAuthenticator.Success(null, null)); // cert (checked) or trust: no password, as in PostgreSQL
                return;
            }
            authType = method.authType();
        }
        session.moveTo(ClientState.AUTHENTICATING);
        SecretSource source = session.proxy().secrets();
        if (source == null) {
            authenticate(null, false); // trust without a list of users
            return;
        }
        CompletableFuture<Secret> lookup = source.secret(session.database(), user).toCompletableFuture();
        if (lookup.isDone()) {
            secretFound(source, lookup.getNow(null), null); // the auth file answers at once: no task
        } else {
            lookup.whenComplete((secret, error) -> ctx.executor().execute(() -> secretFound(source, secret, error)));
        }
    }

    private void secretFound(SecretSource source, Secret secret, Throwable error) {
        if (session.state() != ClientState.AUTHENTICATING) {
            return; // the client left meanwhile
        }
        if (error != null) {
            cannotCheck("secret lookup", error);
            return;
        }
        this.secret = secret;
        origin = source.origin(session.database(), session.user(), secret != null);
        authenticate(secret, true);
    }

    private void cannotCheck(String what, Throwable error) {
        Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
        LOG.warning(session.describe() + " " + what + " failed: " + cause);
        session.disconnect(SqlState.CONNECTION_FAILURE, "cannot check the password of user \"" + session.user()
                + "\" right now: " + cause.getMessage(), null);
    }

    private void authenticate(Secret secret, boolean usersListed) {
        authenticator = session.proxy().newAuthenticator(authType, session.user(), secret,
                origin != null ? origin : SecretOrigin.OTHER, usersListed);
        step(authenticator.start(session.ctx().alloc()));
    }

    private void step(ClientAuthenticator.Step step) {
        ChannelHandlerContext ctx = session.ctx();
        if (step instanceof ClientAuthenticator.Challenge challenge) {
            ctx.writeAndFlush(challenge.message());
        } else if (step instanceof ClientAuthenticator.Success success) {
            authenticator = null; // its exchange state is not needed any more
            authenticated();
            if (success.finalMessage() != null) {
                ctx.write(success.finalMessage());
            }
            if (success.scramClientKey() != null || secret != null) {
                // for the backend login: SCRAM passthrough, or the md5 hash, of a secret no file holds
                PoolRoute route = RuntimeConfig.routeFor(session.config(), session.database(), session.user());
                session.proxy().credentials().learn(session.user(), route == null ? null : route.server(),
                        success.scramClientKey(), secret, origin);
                secret = null;
            }
            if (AdminConsole.DATABASES.contains(session.database())) {
                startAdmin();
            } else {
                session.serverWait().acquire();
            }
        } else if (step instanceof ClientAuthenticator.Pending pending) {
            // a key derivation runs off this loop; the exchange goes on here when it is done
            pending.next().whenComplete((next, error) -> ctx.executor().execute(() -> {
                if (session.state() != ClientState.AUTHENTICATING) {
                    if (next instanceof ClientAuthenticator.Challenge c) {
                        c.message().release(); // the client left meanwhile
                    }
                } else if (error != null) {
                    cannotCheck("password check", error);
                } else {
                    step(next);
                }
            }));
        } else if (step instanceof ClientAuthenticator.Failure failure) {
            LOG.warning(session.describe() + " login failed: " + failure.logReason());
            session.disconnect(failure.sqlState(), failure.message(), null);
        }
    }

    private void startAdmin() {
        ProxyContext proxy = session.proxy();
        if (!session.config().adminUsers().contains(session.user())) {
            LOG.warning(session.describe() + " refused on the admin console: not in --admin-users");
            session.disconnect(SqlState.INVALID_AUTHORIZATION, "user \"" + session.user()
                    + "\" is not allowed on the admin console (see --admin-users)", null);
            return;
        }
        cancelTimer();
        loggedIn = true;
        session.moveTo(ClientState.ADMIN);
        registerCancelKeys();
        LOG.info(session.describe() + " opened the admin console");
        proxy.admin().greet(session.ctx(), session.processId(), session.secretKey());
    }

    private void registerCancelKeys() {
        long keys = session.proxy().cancels().register(session);
        session.keys((int) (keys >>> 32), (int) keys);
    }

    /**
     * Completes the login as PostgreSQL would, with the parameters of a server in line with the client (now,
     * or when the pool learned this greeting): AuthenticationOk, ParameterStatus for each, BackendKeyData,
     * ReadyForQuery.
     */
    void complete(ParameterView view) {
        ChannelHandlerContext ctx = session.ctx();
        cancelTimer();
        loggedIn = true;
        registerCancelKeys();
        session.view(view);
        // some 17 small messages: gathered into one write, as the server's own are
        Coalescer greeting = new Coalescer(ctx.alloc(), buf -> ctx.write(buf, ctx.voidPromise()));
        greeting.add(Messages.AUTHENTICATION_OK.duplicate());
        view.reported().forEach((name, value) -> greeting.add(Messages.parameterStatus(ctx.alloc(), name, value)));
        greeting.add(Messages.backendKeyData(ctx.alloc(), session.processId(), session.secretKey()));
        greeting.add(Messages.readyForQuery(ctx.alloc(), (byte) 'I'));
        greeting.drain();
        ctx.flush();
        LOG.fine(() -> session.describe() + " logged in");
    }

    /** The client proved who it is: from now on it may send messages up to --max-message-size. */
    private void authenticated() {
        PgFrameDecoder decoder = session.ctx().pipeline().get(PgFrameDecoder.class);
        if (decoder != null) {
            decoder.loginCompleted();
        }
    }

    boolean loggedIn() {
        return loggedIn;
    }

    /** The settings the client asked for in its startup packet. */
    Map<String, String> startupSettings() {
        return startupParameters.settings();
    }
}
