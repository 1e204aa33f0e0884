/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.broker;

import java.util.EnumMap;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Map;

/**
 * Every setting of the broker in one place: its option name, default, unit, valid range and meaning.
 * <p>
 * A context with chainable setters. {@link #conclude()} validates every value once, at start-up, with
 * {@code name=value} messages; hot code only reads the resulting plain fields. Not thread safe: build it on one
 * thread, then hand it to {@link Broker#launch(BrokerConfig)}.
 */
public final class BrokerConfig
{
    /** One row per setting. Options are spelled {@code --<name>} on the command line. */
    public enum Setting
    {
        BIND("bind", "127.0.0.1", "", "address to listen on; loopback by default, see README before exposing it"),
        PORT("port", "8080", "", "TCP port to listen on (0 picks a free port)"),
        READERS("readers", "1", "threads", "reader threads, each with its own selector; connections are spread across them"),
        WRITERS("writers", "1", "threads", "writer threads, each draining the outbound rings of its share of peers"),
        RING_SIZE("ring-size", "4096", "events", "Disruptor ring size (power of two); readers stop reading while it is full"),
        INBOUND_BUFFER_BYTES("inbound-buffer-bytes", "1048576", "bytes",
            "per reader: bytes of lines read but not yet routed (>= 2 x max-line-bytes); readers stop reading while it is full"),
        READ_BUFFER_BYTES("read-buffer-bytes", "8192", "bytes",
            "per connection: initial read buffer; grows, only for a longer line, up to max-line-bytes + 2"),
        MAX_LINE_BYTES("max-line-bytes", "65536", "bytes", "longest line accepted; a longer one closes the connection"),
        MAX_NAME_BYTES("max-name-bytes", "64", "bytes", "longest peer name accepted"),
        OUTBOUND_RING_BYTES("outbound-ring-bytes", "262144", "bytes",
            "per peer: outbound Agrona ring (power of two, >= 2 x the largest message); when full the peer is a slow consumer"),
        WRITE_BUFFER_BYTES("write-buffer-bytes", "16384", "bytes",
            "per peer: bytes taken from the outbound ring for one socket write"),
        MAX_CONNECTIONS("max-connections", "1024", "connections",
            "open connections allowed; the next one gets 'error: too many connections' and is closed"),
        THREADING("threading", "auto", "",
            "shared: one thread does the reader's, broker's and writer's work, so a message crosses no thread "
                + "hand-off (needs readers = writers = 1); dedicated: a thread each; auto: shared unless more than one "
                + "reader or writer is asked for"),
        WAIT_STRATEGY("wait-strategy", "blocking", "",
            "how the broker thread waits for events: blocking | phased (spin, yield, then block) | yielding | busy-spin"),
        IDLE_STRATEGY("idle-strategy", "block", "",
            "how reader and writer threads wait for work: block (in the selector) | backoff (spin, yield, then block) | busy-spin"),
        FLUSH_TIMEOUT_MS("flush-timeout-ms", "2000", "ms",
            "deadline to flush queued output to a connection being closed, and to all of them at shutdown"),
        NAME_TIMEOUT_MS("name-timeout-ms", "10000", "ms",
            "a connection that sends no complete name line this long after connecting is closed; 0 = no deadline"),
        AUTH_FILE("auth-file", "", "",
            "credentials file (see 'adduser'); when set, the first line must be 'name secret'; empty = no authentication"),
        ADMIN_PORT("admin-port", "8081", "",
            "admin HTTP port for /metrics, /histograms and /health; 0 picks a free port (so does the default when " +
            "--port is 0); off = no admin endpoint"),
        ADMIN_BIND("admin-bind", "127.0.0.1", "", "address the admin endpoint listens on; loopback by default"),
        STATS_INTERVAL_MS("stats-interval-ms", "0", "ms",
            "print a one-line summary of counters and stage latencies to stdout this often; 0 = never"),
        HISTOGRAM_LOG_DIR("histogram-log-dir", "", "",
            "directory for HdrHistogram interval logs, one <stage>.hlog per stage, one interval a second; empty = none");

        private final String optionName;
        private final String defaultValue;
        private final String unit;
        private final String description;

        Setting(final String optionName, final String defaultValue, final String unit, final String description)
        {
            this.optionName = optionName;
            this.defaultValue = defaultValue;
            this.unit = unit;
            this.description = description;
        }

        public String optionName()
        {
            return optionName;
        }

        public String defaultValue()
        {
            return defaultValue;
        }

        public String unit()
        {
            return unit;
        }

        public String description()
        {
            return description;
        }

        static Setting byOptionName(final String name)
        {
            for (final Setting setting : values())
            {
                if (setting.optionName.equals(name))
                {
                    return setting;
                }
            }
            return null;
        }
    }

    /** Whether reader, broker and writer duties each have a thread, or share one. */
    public enum ThreadingMode
    {
        AUTO, DEDICATED, SHARED
    }

    /** How the broker thread waits on the Disruptor ring. */
    public enum WaitStrategyKind
    {
        BLOCKING, PHASED, YIELDING, BUSY_SPIN
    }

    /** The value of {@code admin-port} that switches the admin endpoint off. */
    public static final String ADMIN_OFF = "off";

    private final Map<Setting, String> values = new EnumMap<>(Setting.class);
    private final EnumSet<Setting> explicitlySet = EnumSet.noneOf(Setting.class);
    private boolean concluded;

    // Validated values, filled in by conclude().
    private String bindAddress;
    private int port;
    private int readers;
    private int writers;
    private int ringSize;
    private int inboundBufferBytes;
    private int readBufferBytes;
    private int maxLineBytes;
    private int maxNameBytes;
    private int outboundRingBytes;
    private int writeBufferBytes;
    private int maxConnections;
    private WaitStrategyKind waitStrategy;
    private ThreadingMode threading;
    private io.tern.transport.IdleStrategyKind idleStrategy;
    private long flushTimeoutMs;
    private long nameTimeoutMs;
    private java.nio.file.Path authFile;
    private int adminPort;
    private String adminBind;
    private long statsIntervalMs;
    private java.nio.file.Path histogramLogDir;

    public BrokerConfig()
    {
        for (final Setting setting : Setting.values())
        {
            values.put(setting, setting.defaultValue);
        }
    }

    /**
     * Sets a setting from its textual form, as given on the command line. Validation happens in {@link #conclude()}.
     *
     * @param optionName the option name without the leading dashes, e.g. {@code port}.
     * @param value      the value as typed.
     * @return this for chaining.
     * @throws IllegalArgumentException if there is no such setting.
     */
    public BrokerConfig set(final String optionName, final String value)
    {
        final Setting setting = Setting.byOptionName(optionName);
        if (null == setting)
        {
            throw new IllegalArgumentException("unknown option --" + optionName);
        }
        return set(setting, value);
    }

    public BrokerConfig set(final Setting setting, final String value)
    {
        if (concluded)
        {
            throw new IllegalStateException("config already concluded");
        }
        values.put(setting, value);
        explicitlySet.add(setting);
        return this;
    }

    public BrokerConfig bind(final String address)
    {
        return set(Setting.BIND, address);
    }

    public BrokerConfig port(final int port)
    {
        return set(Setting.PORT, Integer.toString(port));
    }

    public BrokerConfig readers(final int count)
    {
        return set(Setting.READERS, Integer.toString(count));
    }

    public BrokerConfig writers(final int count)
    {
        return set(Setting.WRITERS, Integer.toString(count));
    }

    public BrokerConfig ringSize(final int events)
    {
        return set(Setting.RING_SIZE, Integer.toString(events));
    }

    public BrokerConfig inboundBufferBytes(final int bytes)
    {
        return set(Setting.INBOUND_BUFFER_BYTES, Integer.toString(bytes));
    }

    public BrokerConfig readBufferBytes(final int bytes)
    {
        return set(Setting.READ_BUFFER_BYTES, Integer.toString(bytes));
    }

    public BrokerConfig maxLineBytes(final int bytes)
    {
        return set(Setting.MAX_LINE_BYTES, Integer.toString(bytes));
    }

    public BrokerConfig maxNameBytes(final int bytes)
    {
        return set(Setting.MAX_NAME_BYTES, Integer.toString(bytes));
    }

    public BrokerConfig outboundRingBytes(final int bytes)
    {
        return set(Setting.OUTBOUND_RING_BYTES, Integer.toString(bytes));
    }

    public BrokerConfig writeBufferBytes(final int bytes)
    {
        return set(Setting.WRITE_BUFFER_BYTES, Integer.toString(bytes));
    }

    public BrokerConfig maxConnections(final int count)
    {
        return set(Setting.MAX_CONNECTIONS, Integer.toString(count));
    }

    public BrokerConfig waitStrategy(final String name)
    {
        return set(Setting.WAIT_STRATEGY, name);
    }

    public BrokerConfig idleStrategy(final String name)
    {
        return set(Setting.IDLE_STRATEGY, name);
    }

    public BrokerConfig flushTimeoutMs(final long ms)
    {
        return set(Setting.FLUSH_TIMEOUT_MS, Long.toString(ms));
    }

    public BrokerConfig nameTimeoutMs(final long ms)
    {
        return set(Setting.NAME_TIMEOUT_MS, Long.toString(ms));
    }

    public BrokerConfig authFile(final java.nio.file.Path file)
    {
        return set(Setting.AUTH_FILE, null == file ? "" : file.toString());
    }

    /** @param port admin HTTP port, 0 for any free one. */
    public BrokerConfig adminPort(final int port)
    {
        return set(Setting.ADMIN_PORT, Integer.toString(port));
    }

    /** Switches the admin HTTP endpoint off. */
    public BrokerConfig adminOff()
    {
        return set(Setting.ADMIN_PORT, ADMIN_OFF);
    }

    public BrokerConfig adminBind(final String address)
    {
        return set(Setting.ADMIN_BIND, address);
    }

    public BrokerConfig statsIntervalMs(final long ms)
    {
        return set(Setting.STATS_INTERVAL_MS, Long.toString(ms));
    }

    /** @param dir where to write interval logs, or null for none. */
    public BrokerConfig histogramLogDir(final java.nio.file.Path dir)
    {
        return set(Setting.HISTOGRAM_LOG_DIR, null == dir ? "" : dir.toString());
    }

    /**
     * Validates every setting and fixes the values. Idempotent.
     *
     * @return this.
     * @throws IllegalArgumentException naming the first bad setting as {@code --name=value: reason}.
     */
    public BrokerConfig conclude()
    {
        if (concluded)
        {
            return this;
        }

        bindAddress = values.get(Setting.BIND).trim();
        if (bindAddress.isEmpty())
        {
            throw bad(Setting.BIND, "must not be empty");
        }
        port = intIn(Setting.PORT, 0, 65535);
        readers = intIn(Setting.READERS, 1, 64);
        writers = intIn(Setting.WRITERS, 1, 64);
        ringSize = powerOfTwoIn(Setting.RING_SIZE, 8, 1 << 24);
        maxNameBytes = intIn(Setting.MAX_NAME_BYTES, 1, 1024);
        maxLineBytes = intIn(Setting.MAX_LINE_BYTES, 16, 16 * 1024 * 1024);
        inboundBufferBytes = intIn(Setting.INBOUND_BUFFER_BYTES, 4096, 1 << 30);
        if (inboundBufferBytes < 2 * (maxLineBytes + 2))
        {
            throw bad(Setting.INBOUND_BUFFER_BYTES, "must be at least 2 x (max-line-bytes + 2) = " +
                (2 * (maxLineBytes + 2)));
        }
        readBufferBytes = intIn(Setting.READ_BUFFER_BYTES, 64, 16 * 1024 * 1024);
        outboundRingBytes = powerOfTwoIn(Setting.OUTBOUND_RING_BYTES, 1024, 1 << 30);
        final long largestMessage = maxMessageBytes();
        if (outboundRingBytes < 2 * largestMessage)
        {
            throw bad(Setting.OUTBOUND_RING_BYTES, "must be at least 2 x the largest message (" + largestMessage +
                " bytes for max-line-bytes=" + maxLineBytes + " and max-name-bytes=" + maxNameBytes + ")");
        }
        writeBufferBytes = intIn(Setting.WRITE_BUFFER_BYTES, 256, 16 * 1024 * 1024);
        maxConnections = intIn(Setting.MAX_CONNECTIONS, 1, 1_000_000);
        waitStrategy = enumValue(Setting.WAIT_STRATEGY, WaitStrategyKind.class);
        idleStrategy = enumValue(Setting.IDLE_STRATEGY, io.tern.transport.IdleStrategyKind.class);
        threading = enumValue(Setting.THREADING, ThreadingMode.class); // auto is resolved by BrokerThreads
        if (threading == ThreadingMode.SHARED && (readers != 1 || writers != 1))
        {
            throw bad(Setting.THREADING, "shared needs --readers 1 and --writers 1");
        }
        flushTimeoutMs = longIn(Setting.FLUSH_TIMEOUT_MS, 0, 3_600_000);
        nameTimeoutMs = longIn(Setting.NAME_TIMEOUT_MS, 0, 86_400_000);
        final String auth = values.get(Setting.AUTH_FILE).trim();
        authFile = auth.isEmpty() ? null : java.nio.file.Path.of(auth);
        if (null != authFile && !java.nio.file.Files.isReadable(authFile))
        {
            throw bad(Setting.AUTH_FILE, "cannot read the file");
        }
        adminPort = ADMIN_OFF.equalsIgnoreCase(values.get(Setting.ADMIN_PORT).trim()) ?
            -1 : intIn(Setting.ADMIN_PORT, 0, 65535, "or 'off'");
        if (0 == port && !explicitlySet.contains(Setting.ADMIN_PORT))
        {
            // A broker on any free port (tests, several brokers on one machine) must not fight over the fixed
            // default admin port: it takes any free one too, printed at start-up and given by adminAddress().
            adminPort = 0;
        }
        adminBind = values.get(Setting.ADMIN_BIND).trim();
        if (adminBind.isEmpty())
        {
            throw bad(Setting.ADMIN_BIND, "must not be empty");
        }
        if (adminPort > 0 && adminPort == port && adminBind.equals(bindAddress))
        {
            throw bad(Setting.ADMIN_PORT, "must differ from --port");
        }
        statsIntervalMs = longIn(Setting.STATS_INTERVAL_MS, 0, 86_400_000);
        if (statsIntervalMs > 0 && statsIntervalMs < 100)
        {
            throw bad(Setting.STATS_INTERVAL_MS, "must be 0 (off) or at least 100");
        }
        final String logDir = values.get(Setting.HISTOGRAM_LOG_DIR).trim();
        histogramLogDir = logDir.isEmpty() ? null : java.nio.file.Path.of(logDir);
        if (null != histogramLogDir && java.nio.file.Files.exists(histogramLogDir) &&
            !java.nio.file.Files.isDirectory(histogramLogDir))
        {
            throw bad(Setting.HISTOGRAM_LOG_DIR, "exists and is not a directory");
        }

        concluded = true;
        return this;
    }

    /**
     * The transport's share of these settings. Call after {@link #conclude()}.
     *
     * @return the settings for {@link io.tern.transport.Transport}.
     */
    public io.tern.transport.TransportSettings transportSettings()
    {
        checkConcluded();
        return new io.tern.transport.TransportSettings(
            bindAddress,
            port,
            readers,
            writers,
            readBufferBytes,
            maxLineBytes,
            inboundBufferBytes,
            outboundRingBytes,
            writeBufferBytes,
            maxConnections,
            Math.min(MAX_READER_BATCH, ringSize),
            idleStrategy,
            flushTimeoutMs,
            nameTimeoutMs);
    }

    /** Most lines a reader hands over in one claim of the ring. */
    private static final int MAX_READER_BATCH = 256;

    /**
     * The largest line the broker can send: {@code from <name>: <text>\n} or an error echoing a name of up to
     * max-line-bytes.
     *
     * @return bytes.
     */
    public long maxMessageBytes()
    {
        final long from = "from ".length() + (long)maxNameBytes + ": ".length() + maxLineBytes + 1;
        final long noPeer = "error: no peer ''".length() + (long)maxLineBytes + 1;
        return Math.max(from, noPeer);
    }

    /**
     * The effective settings, one per line, for printing at start-up.
     *
     * @return text.
     */
    public String describe()
    {
        conclude();
        final StringBuilder sb = new StringBuilder();
        for (final Setting setting : Setting.values())
        {
            sb.append(String.format(Locale.ROOT, "  --%-22s %s%n", setting.optionName, values.get(setting).trim()));
        }
        return sb.toString();
    }

    /**
     * Usage text listing every option with its default.
     *
     * @return text.
     */
    public static String usage()
    {
        final StringBuilder sb = new StringBuilder("Usage: java -jar tern-broker.jar [--option value]...\n\nOptions:\n");
        for (final Setting setting : Setting.values())
        {
            sb.append(String.format(Locale.ROOT, "  --%-22s %s (default %s%s)%n", setting.optionName,
                setting.description, setting.defaultValue, setting.unit.isEmpty() ? "" : " " + setting.unit));
        }
        sb.append(String.format(Locale.ROOT, "  --%-22s %s%n", "help", "print this text and exit"));
        sb.append("\nTo add a user to a credentials file (secret read from the console or stdin):\n")
            .append("  java -jar tern-broker.jar adduser FILE NAME [ITERATIONS]\n");
        return sb.toString();
    }

    /**
     * @param setting a setting.
     * @return true if it was given explicitly rather than left at its default.
     */
    public boolean isSet(final Setting setting)
    {
        return explicitlySet.contains(setting);
    }

    private void checkConcluded()
    {
        if (!concluded)
        {
            throw new IllegalStateException("call conclude() first");
        }
    }

    public String bindAddress()
    {
        checkConcluded();
        return bindAddress;
    }

    public int port()
    {
        checkConcluded();
        return port;
    }

    public int readers()
    {
        checkConcluded();
        return readers;
    }

    public int writers()
    {
        checkConcluded();
        return writers;
    }

    public int ringSize()
    {
        checkConcluded();
        return ringSize;
    }

    public int inboundBufferBytes()
    {
        checkConcluded();
        return inboundBufferBytes;
    }

    public int readBufferBytes()
    {
        checkConcluded();
        return readBufferBytes;
    }

    public int maxLineBytes()
    {
        checkConcluded();
        return maxLineBytes;
    }

    public int maxNameBytes()
    {
        checkConcluded();
        return maxNameBytes;
    }

    public int outboundRingBytes()
    {
        checkConcluded();
        return outboundRingBytes;
    }

    public int writeBufferBytes()
    {
        checkConcluded();
        return writeBufferBytes;
    }

    public int maxConnections()
    {
        checkConcluded();
        return maxConnections;
    }

    /** @return the threading mode as set, possibly {@code AUTO}; the broker resolves it when it composes threads. */
    public ThreadingMode threading()
    {
        checkConcluded();
        return threading;
    }

    public BrokerConfig threading(final String mode)
    {
        return set(Setting.THREADING, mode);
    }

    public WaitStrategyKind waitStrategy()
    {
        checkConcluded();
        return waitStrategy;
    }

    public io.tern.transport.IdleStrategyKind idleStrategy()
    {
        checkConcluded();
        return idleStrategy;
    }

    public long flushTimeoutMs()
    {
        checkConcluded();
        return flushTimeoutMs;
    }

    public long nameTimeoutMs()
    {
        checkConcluded();
        return nameTimeoutMs;
    }

    /** @return the credentials file, or null when authentication is off. */
    public java.nio.file.Path authFile()
    {
        checkConcluded();
        return authFile;
    }

    /** @return the admin HTTP port (0 for any free one), or -1 when the admin endpoint is off. */
    public int adminPort()
    {
        checkConcluded();
        return adminPort;
    }

    public String adminBind()
    {
        checkConcluded();
        return adminBind;
    }

    /** @return how often to print the one-line summary, 0 for never. */
    public long statsIntervalMs()
    {
        checkConcluded();
        return statsIntervalMs;
    }

    /** @return the directory for interval logs, or null for none. */
    public java.nio.file.Path histogramLogDir()
    {
        checkConcluded();
        return histogramLogDir;
    }

    private IllegalArgumentException bad(final Setting setting, final String reason)
    {
        return new IllegalArgumentException(
            "--" + setting.optionName + "=" + values.get(setting) + ": " + reason);
    }

    private long longIn(final Setting setting, final long min, final long max)
    {
        final long value;
        try
        {
            value = Long.parseLong(values.get(setting).trim());
        }
        catch (final NumberFormatException ex)
        {
            throw bad(setting, "not a whole number");
        }
        if (value < min || value > max)
        {
            throw bad(setting, "must be between " + min + " and " + max);
        }
        return value;
    }

    private int intIn(final Setting setting, final int min, final int max)
    {
        return (int)longIn(setting, min, max);
    }

    private int intIn(final Setting setting, final int min, final int max, final String alternative)
    {
        try
        {
            return intIn(setting, min, max);
        }
        catch (final IllegalArgumentException ex)
        {
            throw bad(setting, "must be between " + min + " and " + max + " " + alternative);
        }
    }

    private int powerOfTwoIn(final Setting setting, final int min, final int max)
    {
        final int value = intIn(setting, min, max);
        if (Integer.bitCount(value) != 1)
        {
            throw bad(setting, "must be a power of two");
        }
        return value;
    }

    private <E extends Enum<E>> E enumValue(final Setting setting, final Class<E> type)
    {
        final String text = values.get(setting).trim().toUpperCase(Locale.ROOT).replace('-', '_');
        for (final E e : type.getEnumConstants())
        {
            if (e.name().equals(text))
            {
                return e;
            }
        }
        final StringBuilder allowed = new StringBuilder();
        for (final E e : type.getEnumConstants())
        {
            allowed.append(allowed.length() == 0 ? "" : ", ").append(e.name().toLowerCase(Locale.ROOT).replace('_', '-'));
        }
        throw bad(setting, "must be one of " + allowed);
    }
}
