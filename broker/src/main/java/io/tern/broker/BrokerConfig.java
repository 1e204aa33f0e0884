/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.broker;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import javax.net.ssl.SSLContext;

import io.tern.transport.AuthenticatorSettings;
import io.tern.transport.TlsChannel;
import io.tern.transport.TlsContexts;
import io.tern.transport.TransportSettings;

import static io.tern.broker.Settings.ADMIN_BIND;
import static io.tern.broker.Settings.ADMIN_PORT;
import static io.tern.broker.Settings.ADMIN_TLS;
import static io.tern.broker.Settings.AUTH_BACKOFF_MS;
import static io.tern.broker.Settings.AUTH_FAILURE_WINDOW_MS;
import static io.tern.broker.Settings.AUTH_FILE;
import static io.tern.broker.Settings.AUTH_ITERATIONS;
import static io.tern.broker.Settings.AUTH_MAX_FAILURES;
import static io.tern.broker.Settings.AUTH_MAX_ITERATIONS;
import static io.tern.broker.Settings.AUTH_MAX_PENDING;
import static io.tern.broker.Settings.AUTH_MAX_SOURCES;
import static io.tern.broker.Settings.AUTH_VERIFIERS;
import static io.tern.broker.Settings.BIND;
import static io.tern.broker.Settings.EXPOSURE;
import static io.tern.broker.Settings.FLUSH_TIMEOUT_MS;
import static io.tern.broker.Settings.HISTOGRAM_LOG_DIR;
import static io.tern.broker.Settings.IDLE_STRATEGY;
import static io.tern.broker.Settings.INBOUND_BUFFER_BYTES;
import static io.tern.broker.Settings.IDLE_TIMEOUT_MS;
import static io.tern.broker.Settings.LINGER_MS;
import static io.tern.broker.Settings.MAX_CONNECTIONS;
import static io.tern.broker.Settings.MAX_CONNECTIONS_PER_ADDRESS;
import static io.tern.broker.Settings.PARTIAL_LINE_TIMEOUT_MS;
import static io.tern.broker.Settings.PER_ADDRESS_EXEMPT;
import static io.tern.broker.Settings.TCP_KEEPALIVE_S;
import static io.tern.broker.Settings.MAX_DESTINATIONS;
import static io.tern.broker.Settings.MAX_LINE_BYTES;
import static io.tern.broker.Settings.MAX_NAME_BYTES;
import static io.tern.broker.Settings.NAME_TIMEOUT_MS;
import static io.tern.broker.Settings.MAX_QUEUED_BYTES_PER_PEER;
import static io.tern.broker.Settings.OUTBOUND_BUDGET_BYTES;
import static io.tern.broker.Settings.PORT;
import static io.tern.broker.Settings.READERS;
import static io.tern.broker.Settings.READ_BUFFER_BYTES;
import static io.tern.broker.Settings.RING_SIZE;
import static io.tern.broker.Settings.STATS_INTERVAL_MS;
import static io.tern.broker.Settings.THREADING;
import static io.tern.broker.Settings.TLS_BIND;
import static io.tern.broker.Settings.TLS_CERT;
import static io.tern.broker.Settings.TLS_CLIENT_AUTH;
import static io.tern.broker.Settings.TLS_CLIENT_CA;
import static io.tern.broker.Settings.TLS_KEY;
import static io.tern.broker.Settings.TLS_KEYSTORE;
import static io.tern.broker.Settings.TLS_KEYSTORE_PASSWORD_FILE;
import static io.tern.broker.Settings.TLS_PORT;
import static io.tern.broker.Settings.WAIT_STRATEGY;
import static io.tern.broker.Settings.WRITERS;
import static io.tern.broker.Settings.WRITE_BUFFER_BYTES;

/**
 * The values of the broker's settings (declared in {@link Settings}): set from the command line, a config file or
 * code, validated once by {@link #conclude()}, then read with {@link #get(Setting)}.
 * <p>
 * A context with chainable setters. {@link #conclude()} validates every value once, at start-up, with
 * {@code --name=value: reason} messages; hot code never reads settings, only what was built from them. Not thread
 * safe: build it on one thread, then hand it to {@link Broker#launch(BrokerConfig)}; after that it is read only.
 */
public final class BrokerConfig
{
    /** Whether reader, broker and writer duties each have a thread, or share one. */
    public enum ThreadingMode
    {
        AUTO, DEDICATED, SHARED
    }

    /** Whether the broker may start reachable beyond loopback without the protection that should go with it. */
    public enum Exposure
    {
        REFUSE, ALLOW
    }

    /** A switch. */
    public enum OnOff
    {
        OFF, ON
    }

    /** The environment variable that may hold the {@code tls-keystore} password (never the command line). */
    public static final String TLS_PASSWORD_ENV = "TERN_TLS_KEYSTORE_PASSWORD";

    /** Which client addresses max-connections-per-address does not apply to. */
    public enum AddressExemption
    {
        LOOPBACK, NONE
    }

    /** How the broker thread waits on the Disruptor ring. */
    public enum WaitStrategyKind
    {
        BLOCKING, PHASED, YIELDING, BUSY_SPIN
    }

    /** Most lines a reader hands over in one claim of the ring. */
    private static final int MAX_READER_BATCH = 256;

    /** Each setting given, as text; the others take their default. */
    private final Map<Setting<?>, String> given = new HashMap<>();
    /** Where a given value came from, e.g. {@code broker.conf:3}, when not the command line or code. */
    private final Map<Setting<?>, String> origins = new HashMap<>();
    /** Every setting's value, filled in by conclude(). */
    private final Map<Setting<?>, Object> values = new HashMap<>();
    private boolean concluded;
    /** Built by conclude() from the tls-* files when the TLS port or the admin endpoint's TLS needs it; else null. */
    private SSLContext tlsContext;

    /**
     * Sets a setting from its text, as given on the command line. Validation happens in {@link #conclude()}.
     *
     * @param name the setting's name, the option without the leading dashes, e.g. {@code port}.
     * @param text the value as typed.
     * @return this for chaining.
     * @throws IllegalArgumentException if there is no such setting.
     */
    public BrokerConfig set(final String name, final String text)
    {
        final Setting<?> setting = Settings.byName(name);
        if (null == setting)
        {
            throw new IllegalArgumentException("unknown option --" + name);
        }
        return setText(setting, text, null);
    }

    /**
     * Sets a setting. Validation happens in {@link #conclude()}.
     *
     * @param setting one of {@link Settings}.
     * @param value   its value.
     * @param <T>     the setting's type.
     * @return this for chaining.
     */
    public <T> BrokerConfig set(final Setting<T> setting, final T value)
    {
        return setText(setting, setting.format(value), null);
    }

    /**
     * Sets a setting from its text and remembers where it came from, for error messages.
     *
     * @param origin e.g. {@code broker.conf:3}, or null for the command line or code.
     */
    BrokerConfig setText(final Setting<?> setting, final String text, final String origin)
    {
        if (concluded)
        {
            throw new IllegalStateException("config already concluded");
        }
        given.put(setting, text);
        if (null == origin)
        {
            origins.remove(setting);
        }
        else
        {
            origins.put(setting, origin);
        }
        return this;
    }

    /**
     * @param setting one of {@link Settings}.
     * @return whether it was set, rather than left at its default.
     */
    public boolean isSet(final Setting<?> setting)
    {
        return given.containsKey(setting);
    }

    /**
     * The value in force. Call after {@link #conclude()}. Values that {@code conclude()} resolves are returned
     * resolved: {@link Settings#ADMIN_PORT} is 0 when {@code port} is 0 and {@code admin-port} was not set. An empty
     * path is null; {@code admin-port off} is -1. {@link Settings#THREADING} is returned as given, possibly
     * {@code auto}: the broker's thread composition resolves it.
     *
     * @param setting one of {@link Settings}.
     * @param <T>     its type.
     * @return the value.
     */
    @SuppressWarnings("unchecked")
    public <T> T get(final Setting<T> setting)
    {
        checkConcluded();
        return (T)values.get(setting);
    }

    /**
     * Validates every setting and fixes the values. Idempotent.
     *
     * @return this.
     * @throws IllegalArgumentException naming the first bad setting as {@code --name=value: reason}, preceded by
     *                                  {@code file:line: } when the value came from a config file.
     */
    public BrokerConfig conclude()
    {
        if (concluded)
        {
            return this;
        }

        for (final Setting<?> setting : Settings.all())
        {
            try
            {
                values.put(setting, setting.parse(text(setting)));
            }
            catch (final IllegalArgumentException ex)
            {
                throw bad(setting, ex.getMessage());
            }
        }

        final int maxLineBytes = value(MAX_LINE_BYTES);
        if (value(INBOUND_BUFFER_BYTES) < 2 * (maxLineBytes + 2))
        {
            throw bad(INBOUND_BUFFER_BYTES, "must be at least 2 x (max-line-bytes + 2) = " + (2 * (maxLineBytes + 2)));
        }
        final long largestMessage = maxMessageBytes(maxLineBytes, value(MAX_NAME_BYTES));
        if (value(MAX_QUEUED_BYTES_PER_PEER) < 2 * largestMessage)
        {
            throw bad(MAX_QUEUED_BYTES_PER_PEER, "must be at least 2 x the largest message (" + largestMessage +
                " bytes for max-line-bytes=" + maxLineBytes + " and max-name-bytes=" + value(MAX_NAME_BYTES) + ")");
        }
        final long maxDirectMemoryBytes = maxDirectMemoryBytes();
        if (0 == value(OUTBOUND_BUDGET_BYTES))
        {
            // A default that fits the machine: the JVM's direct memory also holds staging buffers and counters.
            values.put(OUTBOUND_BUDGET_BYTES,
                Math.min(Settings.DEFAULT_OUTBOUND_BUDGET_BYTES, maxDirectMemoryBytes / 2));
        }
        else if (value(OUTBOUND_BUDGET_BYTES) > maxDirectMemoryBytes)
        {
            throw bad(OUTBOUND_BUDGET_BYTES, "must be at most the JVM's max direct memory (" + maxDirectMemoryBytes +
                " bytes): raise it with -XX:MaxDirectMemorySize (by default the max heap, -Xmx)");
        }
        if (value(OUTBOUND_BUDGET_BYTES) < 4 * largestMessage)
        {
            // A segment that takes the largest message is up to twice its size (a power of two), and the budget must
            // hold more than one of them.
            throw bad(OUTBOUND_BUDGET_BYTES, "must be at least 4 x the largest message (" + largestMessage + " bytes)");
        }

        if (0 == value(MAX_CONNECTIONS_PER_ADDRESS))
        {
            // One host may hold a quarter of the slots: more than a well-behaved host needs, and the others still
            // have three quarters when one reconnects as fast as it can.
            values.put(MAX_CONNECTIONS_PER_ADDRESS, Math.max(1, value(MAX_CONNECTIONS) / 4));
        }

        final int readers = value(READERS);
        final int writers = value(WRITERS);
        // What auto means is the thread composition's decision (BrokerThreads); only an impossible value is refused.
        if (value(THREADING) == ThreadingMode.SHARED && (readers != 1 || writers != 1))
        {
            throw bad(THREADING, "shared needs --readers 1 and --writers 1");
        }

        final int port = value(PORT);
        if (0 == port && !isSet(ADMIN_PORT))
        {
            // A broker on any free port (tests, several brokers on one machine) must not fight over the fixed
            // default admin port: it takes any free one too, printed at start-up and given by adminAddress().
            values.put(ADMIN_PORT, 0);
        }
        final int adminPort = value(ADMIN_PORT);
        if (adminPort > 0 && adminPort == port && value(ADMIN_BIND).equals(value(BIND)))
        {
            throw bad(ADMIN_PORT, "must differ from --port");
        }

        if (value(AUTH_ITERATIONS) > value(AUTH_MAX_ITERATIONS))
        {
            throw bad(AUTH_ITERATIONS, "must be at most --auth-max-iterations=" + value(AUTH_MAX_ITERATIONS) +
                ", or the broker would refuse the entries written with it");
        }

        concludeTls(port, adminPort);

        if (value(EXPOSURE) == Exposure.REFUSE)
        {
            if (null == value(AUTH_FILE) && !isLoopback(value(BIND)))
            {
                throw bad(BIND, "reachable beyond loopback without --auth-file: anyone who reaches it can take any " +
                    "name and read what is sent to it; set --auth-file, or --exposure allow to start anyway");
            }
            if (value(TLS_PORT) >= 0 && null == value(AUTH_FILE) && value(TLS_CLIENT_AUTH) != TlsChannel.ClientAuth.NEED &&
                !isLoopback(value(TLS_BIND)))
            {
                throw bad(TLS_BIND, "the TLS port is reachable beyond loopback without --auth-file or " +
                    "--tls-client-auth need: TLS hides the traffic, but anyone who reaches the port can take any " +
                    "name; set one of them, or --exposure allow to start anyway");
            }
            // TODO(h-admin): once --admin-token-file is merged, allow the admin endpoint beyond loopback when
            // --admin-tls is on and an admin token is set (both together: TLS alone does not say who is asking).
            if (adminPort >= 0 && !isLoopback(value(ADMIN_BIND)))
            {
                throw bad(ADMIN_BIND, "the admin endpoint has no authentication and lets anyone reset its " +
                    "histograms; keep it on loopback, turn it off with --admin-port off, or --exposure allow to " +
                    "start anyway");
            }
        }

        concluded = true;
        return this;
    }

    /**
     * Checks the tls-* settings belong together and builds the server's {@link SSLContext} from their files once, so a
     * wrong file, password or key fails start-up here, naming the setting.
     */
    private void concludeTls(final int port, final int adminPort)
    {
        final int tlsPort = value(TLS_PORT);
        final boolean adminTls = value(ADMIN_TLS) == OnOff.ON;
        final Path cert = value(TLS_CERT);
        final Path key = value(TLS_KEY);
        final Path keyStore = value(TLS_KEYSTORE);
        final Path clientCa = value(TLS_CLIENT_CA);
        final TlsChannel.ClientAuth clientAuth = value(TLS_CLIENT_AUTH);
        if ((null == cert) != (null == key))
        {
            throw bad(null == cert ? TLS_KEY : TLS_CERT, "needs " + (null == cert ? "--tls-cert" : "--tls-key") +
                " too");
        }
        if (null != cert && null != keyStore)
        {
            throw bad(TLS_KEYSTORE, "give either --tls-keystore or --tls-cert and --tls-key, not both");
        }
        final boolean hasKey = null != cert || null != keyStore;
        if (tlsPort >= 0 && !hasKey)
        {
            throw bad(TLS_PORT, "needs the server's key: --tls-cert and --tls-key, or --tls-keystore");
        }
        if (adminTls && !hasKey)
        {
            throw bad(ADMIN_TLS, "needs the server's key: --tls-cert and --tls-key, or --tls-keystore");
        }
        if (hasKey && tlsPort < 0 && !adminTls)
        {
            throw bad(null != cert ? TLS_CERT : TLS_KEYSTORE, "is used by nothing: set --tls-port or --admin-tls on");
        }
        if (null != value(TLS_KEYSTORE_PASSWORD_FILE) && null == keyStore && null == clientCa)
        {
            throw bad(TLS_KEYSTORE_PASSWORD_FILE, "is used by nothing: it is for --tls-keystore");
        }
        if (clientAuth != TlsChannel.ClientAuth.NONE && null == clientCa)
        {
            throw bad(TLS_CLIENT_AUTH, "needs --tls-client-ca, the CA certificates client certificates are checked " +
                "against");
        }
        if (clientAuth == TlsChannel.ClientAuth.NONE && null != clientCa)
        {
            throw bad(TLS_CLIENT_CA, "is used by nothing with --tls-client-auth none: set want or need");
        }
        if (clientAuth != TlsChannel.ClientAuth.NONE && tlsPort < 0)
        {
            throw bad(TLS_CLIENT_AUTH, "applies to the TLS port, which is off: set --tls-port");
        }
        if (tlsPort > 0 && tlsPort == port && sameAddress(value(TLS_BIND), value(BIND)))
        {
            throw bad(TLS_PORT, "must differ from --port");
        }
        if (tlsPort > 0 && tlsPort == adminPort && sameAddress(value(TLS_BIND), value(ADMIN_BIND)))
        {
            throw bad(TLS_PORT, "must differ from --admin-port");
        }
        if (!hasKey)
        {
            tlsContext = null;
            return;
        }
        final char[] password = null != keyStore || null != clientCa ? tlsPassword() : null;
        try
        {
            tlsContext = null != keyStore ?
                TlsContexts.fromPkcs12(keyStore, null == password ? new char[0] : password, clientCa, password) :
                TlsContexts.fromPem(cert, key, clientCa, password);
        }
        catch (final IllegalArgumentException ex)
        {
            throw bad(null != keyStore ? TLS_KEYSTORE : TLS_CERT, ex.getMessage());
        }
        finally
        {
            if (null != password)
            {
                java.util.Arrays.fill(password, '\0');
            }
        }
    }

    /** @return the key store password from its file, else from the environment, else null. */
    private char[] tlsPassword()
    {
        final Path file = value(TLS_KEYSTORE_PASSWORD_FILE);
        if (null != file)
        {
            try (java.io.BufferedReader in = java.nio.file.Files.newBufferedReader(file))
            {
                final String line = in.readLine();
                return null == line ? new char[0] : line.toCharArray();
            }
            catch (final java.io.IOException ex)
            {
                throw bad(TLS_KEYSTORE_PASSWORD_FILE, "cannot read it: " + ex.getMessage());
            }
        }
        final String env = System.getenv(TLS_PASSWORD_ENV);
        return null == env ? null : env.toCharArray();
    }

    private static boolean sameAddress(final String a, final String b)
    {
        return a.trim().equals(b.trim()) || isWildcard(a) || isWildcard(b);
    }

    private static boolean isWildcard(final String host)
    {
        final String h = host.trim();
        return "0.0.0.0".equals(h) || "::".equals(h) || "[::]".equals(h);
    }

    /**
     * The server's TLS context, built from the tls-* files at {@link #conclude()}. Call after it.
     *
     * @return the context, or null when neither the TLS port nor the admin endpoint's TLS is on.
     */
    public SSLContext tlsContext()
    {
        checkConcluded();
        return tlsContext;
    }

    /** @return true for a loopback address, or a name that does not resolve (binding it will say why). */
    private static boolean isLoopback(final String host)
    {
        try
        {
            return java.net.InetAddress.getByName(host.trim()).isLoopbackAddress();
        }
        catch (final java.net.UnknownHostException ex)
        {
            return true;
        }
    }

    /**
     * The transport's share of these settings. Call after {@link #conclude()}.
     *
     * @return the settings for {@link io.tern.transport.Transport}.
     */
    public TransportSettings transportSettings()
    {
        checkConcluded();
        return new TransportSettings(
            get(BIND),
            get(PORT),
            get(READERS),
            get(WRITERS),
            get(READ_BUFFER_BYTES),
            get(MAX_LINE_BYTES),
            get(INBOUND_BUFFER_BYTES),
            get(MAX_QUEUED_BYTES_PER_PEER),
            get(OUTBOUND_BUDGET_BYTES),
            get(WRITE_BUFFER_BYTES),
            get(MAX_CONNECTIONS),
            Math.min(MAX_READER_BATCH, get(RING_SIZE)),
            get(IDLE_STRATEGY),
            get(FLUSH_TIMEOUT_MS),
            get(NAME_TIMEOUT_MS),
            get(MAX_CONNECTIONS_PER_ADDRESS),
            get(PER_ADDRESS_EXEMPT) == AddressExemption.LOOPBACK,
            get(IDLE_TIMEOUT_MS),
            get(PARTIAL_LINE_TIMEOUT_MS),
            get(TCP_KEEPALIVE_S),
            get(LINGER_MS));
    }

    /**
     * How the transport runs credentials checks (used only with an {@code --auth-file}). Call after
     * {@link #conclude()}.
     *
     * @return the settings for {@link io.tern.transport.Transport}'s authenticator and verifiers.
     */
    public AuthenticatorSettings authenticatorSettings()
    {
        checkConcluded();
        return new AuthenticatorSettings(
            get(AUTH_VERIFIERS),
            get(AUTH_MAX_PENDING),
            get(AUTH_MAX_FAILURES),
            get(AUTH_FAILURE_WINDOW_MS),
            get(AUTH_BACKOFF_MS),
            get(AUTH_MAX_SOURCES));
    }

    /**
     * One setting's value as given (or its default), parsed and checked on its own, without {@link #conclude()}: for
     * a command that needs a setting or two of a config that need not be complete or valid as a whole
     * ({@code adduser}, before the credentials file it names exists).
     *
     * @param setting one of {@link Settings}.
     * @param <T>     its type.
     * @return the value.
     * @throws IllegalArgumentException as {@code --name=value: reason}.
     */
    public <T> T peek(final Setting<T> setting)
    {
        try
        {
            return setting.parse(text(setting));
        }
        catch (final IllegalArgumentException ex)
        {
            throw bad(setting, ex.getMessage());
        }
    }

    /**
     * The largest line the broker can send for these max-name-bytes and max-line-bytes (see
     * {@link io.tern.transport.Protocol#maxMessageBytes(int, int)}). Call after {@link #conclude()}.
     *
     * @return bytes.
     */
    public long maxMessageBytes()
    {
        return maxMessageBytes(get(MAX_LINE_BYTES), get(MAX_NAME_BYTES));
    }

    /**
     * @return the most direct memory this JVM may allocate: {@code -XX:MaxDirectMemorySize}, or the max heap when it is
     * not set (the JVM's default).
     */
    static long maxDirectMemoryBytes()
    {
        try
        {
            final com.sun.management.HotSpotDiagnosticMXBean hotspot = java.lang.management.ManagementFactory
                .getPlatformMXBean(com.sun.management.HotSpotDiagnosticMXBean.class);
            final long configured = Long.parseLong(hotspot.getVMOption("MaxDirectMemorySize").getValue());
            if (configured > 0)
            {
                return configured;
            }
        }
        catch (final RuntimeException ex)
        {
            // Not a HotSpot JVM: its default is the max heap too.
        }
        return Runtime.getRuntime().maxMemory();
    }

    private static long maxMessageBytes(final int maxLineBytes, final int maxNameBytes)
    {
        return io.tern.transport.Protocol.maxMessageBytes(maxNameBytes, maxLineBytes);
    }

    /**
     * The effective settings as one line of {@code name=value} pairs in declaration order, values resolved
     * ({@code threading} never {@code auto}); a value that is empty or holds spaces is in double quotes.
     *
     * @return text, without a line separator.
     */
    public String describe()
    {
        conclude();
        return describe(get(PORT), get(ADMIN_PORT));
    }

    /**
     * As {@link #describe()}, with the ports the broker actually bound in place of the configured ones (which may be
     * 0 for any free port).
     *
     * @param boundPort      the port the broker listens on.
     * @param boundAdminPort the port of the admin endpoint, or -1 when it is off.
     * @return text, without a line separator.
     */
    public String describe(final int boundPort, final int boundAdminPort)
    {
        conclude();
        final StringBuilder sb = new StringBuilder();
        for (final Setting<?> setting : Settings.all())
        {
            final String text;
            if (setting == PORT)
            {
                text = PORT.format(boundPort);
            }
            else if (setting == ADMIN_PORT)
            {
                text = ADMIN_PORT.format(boundAdminPort);
            }
            else if (setting == THREADING)
            {
                text = THREADING.format(BrokerThreads.threading(this)); // auto shown as what the broker runs
            }
            else
            {
                text = formatValue(setting);
            }
            sb.append(sb.length() == 0 ? "" : " ").append(setting.name()).append('=').append(quoted(text));
        }
        return sb.toString();
    }

    /**
     * @param text a value's text.
     * @return the text, in double quotes if it is empty or holds white space or a quote, as the config file reads it.
     */
    static String quoted(final String text)
    {
        if (!text.isEmpty() && text.chars().noneMatch(c -> Character.isWhitespace(c) || c == '"' || c == '#'))
        {
            return text;
        }
        return '"' + text + '"';
    }

    private <T> String formatValue(final Setting<T> setting)
    {
        return setting.format(get(setting));
    }

    private String text(final Setting<?> setting)
    {
        final String text = given.get(setting);
        return null == text ? setting.defaultText() : text;
    }

    @SuppressWarnings("unchecked")
    private <T> T value(final Setting<T> setting)
    {
        return (T)values.get(setting);
    }

    private void checkConcluded()
    {
        if (!concluded)
        {
            throw new IllegalStateException("call conclude() first");
        }
    }

    private IllegalArgumentException bad(final Setting<?> setting, final String reason)
    {
        final String origin = origins.get(setting);
        return new IllegalArgumentException((null == origin ? "" : origin + ": ") +
            "--" + setting.name() + "=" + text(setting) + ": " + reason);
    }

    // Convenience setters, one line each over set(Setting, value): the tests (and code embedding the broker) build
    // configs with them in some 150 places. A new setting needs none: set(Settings.NEW_ONE, value) does.

    public BrokerConfig bind(final String address)
    {
        return set(BIND, address);
    }

    public BrokerConfig port(final int port)
    {
        return set(PORT, port);
    }

    public BrokerConfig readers(final int count)
    {
        return set(READERS, count);
    }

    public BrokerConfig writers(final int count)
    {
        return set(WRITERS, count);
    }

    public BrokerConfig ringSize(final int events)
    {
        return set(RING_SIZE, events);
    }

    public BrokerConfig inboundBufferBytes(final int bytes)
    {
        return set(INBOUND_BUFFER_BYTES, bytes);
    }

    public BrokerConfig maxLineBytes(final int bytes)
    {
        return set(MAX_LINE_BYTES, bytes);
    }

    public BrokerConfig maxDestinations(final int names)
    {
        return set(MAX_DESTINATIONS, names);
    }

    public BrokerConfig maxNameBytes(final int bytes)
    {
        return set(MAX_NAME_BYTES, bytes);
    }

    public BrokerConfig maxQueuedBytesPerPeer(final long bytes)
    {
        return set(MAX_QUEUED_BYTES_PER_PEER, bytes);
    }

    public BrokerConfig outboundBudgetBytes(final long bytes)
    {
        return set(OUTBOUND_BUDGET_BYTES, bytes);
    }

    public BrokerConfig writeBufferBytes(final int bytes)
    {
        return set(WRITE_BUFFER_BYTES, bytes);
    }

    public BrokerConfig maxConnections(final int count)
    {
        return set(MAX_CONNECTIONS, count);
    }

    /** @param mode {@code auto}, {@code shared} or {@code dedicated}, as on the command line. */
    public BrokerConfig threading(final String mode)
    {
        return setText(THREADING, mode, null);
    }

    public BrokerConfig flushTimeoutMs(final long ms)
    {
        return set(FLUSH_TIMEOUT_MS, ms);
    }

    public BrokerConfig nameTimeoutMs(final long ms)
    {
        return set(NAME_TIMEOUT_MS, ms);
    }

    public BrokerConfig maxConnectionsPerAddress(final int count)
    {
        return set(MAX_CONNECTIONS_PER_ADDRESS, count);
    }

    public BrokerConfig idleTimeoutMs(final long ms)
    {
        return set(IDLE_TIMEOUT_MS, ms);
    }

    public BrokerConfig partialLineTimeoutMs(final long ms)
    {
        return set(PARTIAL_LINE_TIMEOUT_MS, ms);
    }

    public BrokerConfig lingerMs(final long ms)
    {
        return set(LINGER_MS, ms);
    }

    /** @param file the credentials file, or null for no authentication. */
    public BrokerConfig authFile(final Path file)
    {
        return set(AUTH_FILE, file);
    }

    /** @param port admin HTTP port, 0 for any free one. */
    public BrokerConfig adminPort(final int port)
    {
        return set(ADMIN_PORT, port);
    }

    /** Switches the admin HTTP endpoint off. */
    public BrokerConfig adminOff()
    {
        return set(ADMIN_PORT, -1);
    }

    public BrokerConfig adminBind(final String address)
    {
        return set(ADMIN_BIND, address);
    }

    public BrokerConfig statsIntervalMs(final long ms)
    {
        return set(STATS_INTERVAL_MS, ms);
    }

    /** @param dir where to write interval logs, or null for none. */
    public BrokerConfig histogramLogDir(final Path dir)
    {
        return set(HISTOGRAM_LOG_DIR, dir);
    }
}
