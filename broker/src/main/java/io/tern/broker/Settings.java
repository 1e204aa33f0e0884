/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.broker;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import io.tern.broker.BrokerConfig.ThreadingMode;
import io.tern.broker.BrokerConfig.WaitStrategyKind;
import io.tern.transport.IdleStrategyKind;
import io.tern.transport.Protocol;
import io.tern.transport.TlsChannel;

/**
 * Every setting of the broker, each declared once with its name, default, unit, valid range and meaning. The order of
 * declaration is the order of {@code --help}, of the docs' table and of the start-up output.
 * <p>
 * Adding a setting is one declaration here and its use (through {@link BrokerConfig#get(Setting)}); the command line,
 * the config file, {@code --help}, the effective settings printed at start-up and docs/configuration.md follow.
 * Rules that tie several settings together live in {@link BrokerConfig#conclude()}.
 * <p>
 * Constants only, so any thread may read them.
 */
public final class Settings
{
    /** The check of every setting naming a file the broker reads. */
    private static final Setting.Check<Path> READABLE = file -> Files.isReadable(file) ? null : "cannot read the file";

    // Declared first: static initialisers run in textual order, and every declare() below adds to it.
    private static final List<Setting<?>> DECLARED = new ArrayList<>();

    public static final Setting<String> BIND = declare(Setting.text("bind", "127.0.0.1", "ADDRESS",
        "address to listen on; loopback by default: read about authentication before exposing the broker"));

    public static final Setting<Integer> PORT = declare(Setting.intIn("port", 8080, "", 0, 65535,
        "TCP port to listen on; 0 picks a free port").labelled("PORT"));

    public static final Setting<Integer> READERS = declare(Setting.intIn("readers", 1, "threads", 1, 64,
        "reader threads, each with its own selector; connections are spread across them"));

    public static final Setting<Integer> WRITERS = declare(Setting.intIn("writers", 1, "threads", 1, 64,
        "writer threads, each draining the outbound rings of its share of peers"));

    public static final Setting<Integer> RING_SIZE = declare(Setting.powerOfTwoIn("ring-size", 4096, "events",
        8, 1 << 24,
        "Disruptor ring size; readers stop reading while it is full"));

    public static final Setting<Integer> INBOUND_BUFFER_BYTES = declare(Setting.intIn("inbound-buffer-bytes",
        1 << 20, "bytes", 4096, 1 << 30,
        "per reader: bytes of lines read but not yet routed, which sockets are read straight into; at least " +
            "2 x (max-line-bytes + 2); readers stop reading while it has no room for a read"));

    public static final Setting<Integer> READ_BUFFER_BYTES = declare(Setting.intIn("read-buffer-bytes",
        65536, "bytes", 64, 16 * 1024 * 1024,
        "most bytes one socket read takes; readers read straight into their inbound buffer (only the authenticator, " +
            "when on, has a buffer of this size); a connection holds no read buffer of its own, only a line begun and " +
            "not yet complete, in a pooled buffer sized to it"));

    public static final Setting<Integer> MAX_LINE_BYTES = declare(Setting.intIn("max-line-bytes",
        65536, "bytes", 16, 16 * 1024 * 1024,
        "longest line accepted; a longer one closes the connection"));

    public static final Setting<Integer> MAX_DESTINATIONS = declare(Setting.intIn("max-destinations",
        1024, "names", 1, 65536,
        "most names one line may address, repeats counted; a line naming more is refused whole with 'error: too many " +
        "destinations (max N)'; a name repeated in one line is delivered to once"));

    public static final Setting<Integer> MAX_NAME_BYTES = declare(Setting.intIn("max-name-bytes",
        Protocol.DEFAULT_MAX_NAME_BYTES, "bytes", 1, 1024,
        "longest peer name accepted"));

    public static final Setting<Protocol.NameCharset> NAME_CHARSET = declare(Setting.oneOf("name-charset",
        Protocol.NameCharset.UNICODE,
        "unicode: names in any script, as valid UTF-8 in NFC, without invisible, bidi-control, unassigned or " +
            "non-space whitespace characters and without Latin letters mixed with Cyrillic or Greek ones; ascii: " +
            "printable ASCII only, so that no name can pass for another in another script"));

    public static final Setting<Long> MAX_QUEUED_BYTES_PER_PEER = declare(Setting.longIn(
        "max-queued-bytes-per-peer", 16L * 1024 * 1024, "bytes", 1024, 1L << 30,
        "per peer: most bytes queued and not yet written before the peer is cut as a slow consumer; a limit, not an " +
            "allocation (memory is taken as bytes are queued and given back once written); at least 2 x the " +
            "largest message ('from <name>: <text>' and a newline)"));

    /** The outbound budget when it is not set: at most this, and at most half the JVM's max direct memory. */
    public static final long DEFAULT_OUTBOUND_BUDGET_BYTES = 1024L * 1024 * 1024;

    public static final Setting<Long> OUTBOUND_BUDGET_BYTES = declare(Setting.longIn("outbound-budget-bytes",
        0, "bytes", 0, Long.MAX_VALUE,
        "all peers together: direct memory for queued outbound bytes; when it runs out the peer with the largest " +
            "backlog is cut as a slow consumer; 0 for 1 GiB or half the JVM's max direct memory " +
            "(-XX:MaxDirectMemorySize, by default the max heap), whichever is smaller; refused above that maximum; " +
            "at least 4 x the largest message"));

    public static final Setting<Integer> WRITE_BUFFER_BYTES = declare(Setting.intIn("write-buffer-bytes",
        256 * 1024, "bytes", 256, 16 * 1024 * 1024,
        "per writer thread: staging buffer that gathers queued messages into one socket write; what a partial " +
            "write leaves is kept per peer, in a pooled buffer sized to it, until the socket takes it"));

    public static final Setting<Integer> MAX_CONNECTIONS = declare(Setting.intIn("max-connections",
        100_000, "connections", 1, 1_000_000,
        "open connections allowed; the next one gets '" + Protocol.TOO_MANY_CONNECTIONS + "' and is closed"));

    public static final Setting<Integer> MAX_CONNECTIONS_PER_ADDRESS = declare(Setting.intIn(
        "max-connections-per-address", 0, "connections", 0, 1_000_000,
        "open connections allowed from one client address, so that one host cannot take every slot; the next one " +
            "gets '" + Protocol.TOO_MANY_FROM_ADDRESS + "' and is closed; 0 = a quarter of max-connections; " +
            "max-connections or more = no limit; see per-address-exempt for loopback"));

    public static final Setting<BrokerConfig.AddressExemption> PER_ADDRESS_EXEMPT = declare(Setting.oneOf(
        "per-address-exempt", BrokerConfig.AddressExemption.LOOPBACK,
        "loopback: connections from loopback addresses (127.0.0.0/8, ::1), such as local tools and the loadgen, " +
            "are not held to max-connections-per-address; none: every address is"));

    public static final Setting<BrokerConfig.Exposure> EXPOSURE = declare(Setting.oneOf("exposure",
        BrokerConfig.Exposure.REFUSE,
        "refuse: do not start with the client port bound beyond loopback without --auth-file, or with the admin " +
            "endpoint bound beyond loopback without both --admin-token-file and --admin-tls on; allow: start anyway. " +
            "The TLS port beyond loopback also needs --auth-file or --tls-client-auth need"));

    public static final Setting<ThreadingMode> THREADING = declare(Setting.oneOf("threading", ThreadingMode.AUTO,
        "shared: one thread does the reader's, the broker's and the writer's work, so a message crosses no thread " +
            "hand-off (needs readers = writers = 1); dedicated: a thread each for the reader(s), the broker and " +
            "the writer(s); auto: shared unless more than one reader or writer is asked for"));

    public static final Setting<WaitStrategyKind> WAIT_STRATEGY = declare(Setting.oneOf("wait-strategy",
        WaitStrategyKind.BLOCKING,
        "how the dedicated broker thread waits for events: blocking; phased (spin 20 us, yield 100 us, then " +
            "block); yielding; busy-spin"));

    public static final Setting<IdleStrategyKind> IDLE_STRATEGY = declare(Setting.oneOf("idle-strategy",
        IdleStrategyKind.BLOCK,
        "how the shared thread, or reader and writer threads, wait for work: block (in the selector); backoff " +
            "(spin, yield, then block); busy-spin"));

    public static final Setting<Long> FLUSH_TIMEOUT_MS = declare(Setting.longIn("flush-timeout-ms",
        2000, "ms", 0, 3_600_000,
        "deadline to flush queued output to a connection being closed, and to all of them at shutdown"));

    public static final Setting<Long> NAME_TIMEOUT_MS = declare(Setting.longIn("name-timeout-ms",
        10_000, "ms", 0, 86_400_000,
        "a connection that sends no complete name line this long after connecting gets " +
            "'" + Protocol.NAME_TIMEOUT_PREFIX + "N" + Protocol.NAME_TIMEOUT_SUFFIX + "' and is closed; 0 = no deadline"));

    public static final Setting<Long> PARTIAL_LINE_TIMEOUT_MS = declare(Setting.longIn("partial-line-timeout-ms",
        30_000, "ms", 0, 86_400_000,
        "a line begun and not finished this long after its first bytes arrived gets '" +
            Protocol.partialLineTimeout(30_000).replace("30000", "N") + "' and the connection is closed; " +
            "0 = no deadline"));

    public static final Setting<Long> IDLE_TIMEOUT_MS = declare(Setting.longIn("idle-timeout-ms",
        0, "ms", 0, 86_400_000,
        "a named peer that neither sends nor is sent anything this long gets '" +
            Protocol.idleTimeout(0).replace("0", "N") + "' and is closed; 0 = no deadline (TCP keepalive still " +
            "finds peers whose host has gone)"));

    public static final Setting<Integer> TCP_KEEPALIVE_S = declare(Setting.intIn("tcp-keepalive-s",
        60, "s", 0, 32_767,
        "TCP keepalive on client connections: probes after this many seconds of silence, then every third of it, " +
            "three times, so a peer whose host vanished is closed and its name freed within about twice this; " +
            "0 = no keepalive"));

    public static final Setting<Long> LINGER_MS = declare(Setting.longIn("linger-ms",
        2000, "ms", 0, 60_000,
        "after an error reply that ends a connection, the broker stops sending and reads and discards what the " +
            "client still sends (at most 1 MiB) until the client closes or this long has passed, then closes, so " +
            "that the close does not reset the connection and lose the reply; the connection counts against the " +
            "limits until then; 0 = close at once"));

    public static final Setting<Path> AUTH_FILE = declare(Setting.optionalPath("auth-file", "FILE",
        "credentials file (see 'adduser'); when set, a connection's first line must be 'name secret'; " +
            "empty = no authentication",
        READABLE));

    public static final Setting<Integer> AUTH_VERIFIERS = declare(Setting.intIn("auth-verifiers", 2, "threads", 1, 64,
        "threads (verifier-N) that check logins against --auth-file, one check each at a time; the authenticator " +
            "thread only reads first lines and hands them out, so logins never stall it, a reader or the broker; a " +
            "login flood takes at most this many cores"));

    public static final Setting<Integer> AUTH_MAX_PENDING = declare(Setting.intIn("auth-max-pending", 256, "logins",
        1, 1_000_000,
        "logins with a complete first line waiting for a check; past it one gets '" + Protocol.BUSY + "' and is " +
            "closed: the newest of the source address with the most waiting. Checks are taken in turns by source " +
            "address, an address with nothing waiting first, so one address's flood does not delay another's login"));

    public static final Setting<Integer> AUTH_MAX_FAILURES = declare(Setting.intIn("auth-max-failures", 5, "logins",
        0, 1_000_000,
        "failed logins from one source address (an IPv6 /64) within auth-failure-window-ms after which its logins " +
            "get '" + Protocol.NOT_AUTHORIZED + "' at once, without a check, for auth-backoff-ms; 0 = no throttling"));

    public static final Setting<Long> AUTH_FAILURE_WINDOW_MS = declare(Setting.longIn("auth-failure-window-ms",
        10_000, "ms", 1, 86_400_000,
        "the window in which auth-max-failures failed logins from one address start its back-off"));

    public static final Setting<Long> AUTH_BACKOFF_MS = declare(Setting.longIn("auth-backoff-ms",
        30_000, "ms", 1, 86_400_000,
        "how long a throttled address's logins are refused without a check"));

    public static final Setting<Integer> AUTH_MAX_SOURCES = declare(Setting.intIn("auth-max-sources", 10_000,
        "addresses", 1, 10_000_000,
        "source addresses whose failed logins are remembered at once; past it the least recently seen one without " +
            "a login waiting is forgotten"));

    public static final Setting<Integer> AUTH_ITERATIONS = declare(Setting.intIn("auth-iterations",
        CredentialsFile.DEFAULT_ITERATIONS, "iterations", 1_000, 100_000_000,
        "PBKDF2 iterations 'adduser' writes for a user (read from the options or --config given before 'adduser'); " +
            "each login's check costs that much CPU (about 50 to 90 ms of one core at the default); at most " +
            "auth-max-iterations"));

    public static final Setting<Integer> AUTH_MAX_ITERATIONS = declare(Setting.intIn("auth-max-iterations",
        CredentialsFile.DEFAULT_MAX_ITERATIONS, "iterations", 1_000, 100_000_000,
        "most PBKDF2 iterations the broker accepts for a user in --auth-file: a file with more is refused (at " +
            "start-up; on reload the users in force stay), so no entry can make one check take seconds"));

    public static final Setting<Long> AUTH_FILE_POLL_MS = declare(Setting.longIn("auth-file-poll-ms",
        1000, "ms", 0, 3_600_000,
        "how often the broker looks at --auth-file (its modification time, size and identity); once a change has " +
            "settled for one look, it reloads the file as SIGHUP does; 0 = reload only on SIGHUP"));

    public static final Setting<Integer> TLS_PORT = declare(Setting.portOrOff("tls-port", "off",
        "TLS client port, beside the plain --port (which stays as it is): TLS peers and plain peers reach each other " +
            "through one broker; needs --tls-cert and --tls-key, or --tls-keystore; off = no TLS port"));

    public static final Setting<String> TLS_BIND = declare(Setting.text("tls-bind", "127.0.0.1", "ADDRESS",
        "address the TLS port listens on; loopback by default, so it can be exposed while --bind stays on loopback"));

    public static final Setting<Path> TLS_CERT = declare(Setting.optionalPath("tls-cert", "FILE",
        "PEM file with the server's certificate chain (its certificate first), for the TLS port and --admin-tls; " +
            "goes with --tls-key",
        READABLE));

    public static final Setting<Path> TLS_KEY = declare(Setting.optionalPath("tls-key", "FILE",
        "PEM file with the certificate's unencrypted PKCS#8 private key (-----BEGIN PRIVATE KEY-----), RSA or EC",
        READABLE));

    public static final Setting<Path> TLS_KEYSTORE = declare(Setting.optionalPath("tls-keystore", "FILE",
        "PKCS#12 key store with the server's key and chain, instead of --tls-cert and --tls-key; its password comes " +
            "from --tls-keystore-password-file or the environment variable " + BrokerConfig.TLS_PASSWORD_ENV +
            ", never the command line",
        READABLE));

    public static final Setting<Path> TLS_KEYSTORE_PASSWORD_FILE = declare(Setting.optionalPath(
        "tls-keystore-password-file", "FILE",
        "file whose first line is the --tls-keystore password (and a PKCS#12 --tls-client-ca's)",
        READABLE));

    public static final Setting<Path> TLS_CLIENT_CA = declare(Setting.optionalPath("tls-client-ca", "FILE",
        "CA certificates (PEM bundle or PKCS#12) that TLS clients' certificates must be signed by; needs " +
            "--tls-client-auth want or need",
        READABLE));

    public static final Setting<TlsChannel.ClientAuth> TLS_CLIENT_AUTH = declare(Setting.oneOf(
        "tls-client-auth", TlsChannel.ClientAuth.NONE,
        "none: TLS clients need no certificate; want: one is asked for, and refused if --tls-client-ca does not " +
            "verify it; need: a client without a certificate that --tls-client-ca verifies is refused"));

    public static final Setting<Integer> ADMIN_PORT = declare(Setting.portOrOff("admin-port", "8081",
        "admin HTTP port for /metrics, /histograms and /health; 0 picks a free port (so does the default when " +
            "port is 0); off = no admin endpoint"));

    public static final Setting<String> ADMIN_BIND = declare(Setting.text("admin-bind", "127.0.0.1", "ADDRESS",
        "address the admin endpoint listens on; loopback by default"));

    public static final Setting<Long> ADMIN_REQUEST_TIMEOUT_MS = declare(Setting.longIn("admin-request-timeout-ms",
        5000, "ms", 100, 600_000,
        "an admin client has this long from connecting to send its request (line and headers, at most 8 KiB), and " +
            "as long again to take the response; then it is closed"));

    public static final Setting<Path> ADMIN_TOKEN_FILE = declare(Setting.optionalPath("admin-token-file", "FILE",
        "file holding the admin token (one line, at least 16 characters); when set, POST /histograms?reset=true " +
            "needs 'Authorization: Bearer <token>'; empty = such changes need a loopback Host (localhost, " +
            "127.0.0.1, [::1]); reading metrics never needs it",
        READABLE));
    public static final Setting<BrokerConfig.OnOff> ADMIN_TLS = declare(Setting.oneOf("admin-tls",
        BrokerConfig.OnOff.OFF,
        "on: the admin endpoint speaks HTTPS only, with the key of --tls-cert/--tls-key or --tls-keystore"));

    public static final Setting<Long> STATS_INTERVAL_MS = declare(Setting.longIn("stats-interval-ms",
        0, "ms", 0, 86_400_000,
        "print a one-line summary of counters and stage latencies to stdout this often; 0 = never")
        .and(ms -> ms > 0 && ms < 100 ? "must be 0 (off) or at least 100" : null, "0, or 100-86400000"));

    public static final Setting<Path> HISTOGRAM_LOG_DIR = declare(Setting.optionalPath("histogram-log-dir", "DIR",
        "directory for HdrHistogram interval logs, one <stage>.hlog per stage, one interval a second; " +
            "empty = none",
        dir -> Files.exists(dir) && !Files.isDirectory(dir) ? "exists and is not a directory" : null));

    // Logs

    public static final Setting<BrokerLogging.Level> LOG_LEVEL = declare(Setting.oneOf("log-level",
        BrokerLogging.Level.INFO,
        "lowest level logged: error; warning (slow consumers, refused admin requests); info (and every connection's " +
            "start and end); debug; trace. Unused when the JVM is given a logging configuration file of your own, " +
            "which then decides"));

    public static final Setting<Path> LOG_FILE = declare(Setting.optionalPath("log-file", "FILE",
        "append the log to this file instead of standard error, one line a record, written through at once; never " +
            "rotated by the broker (logrotate's copytruncate suits it); the stats line stays on standard output; " +
            "empty = standard error. Unused when the JVM is given a logging configuration file of your own",
        file -> Files.isDirectory(file) ? "is a directory" :
            (Files.exists(file) ? !Files.isWritable(file) :
                null == file.toAbsolutePath().getParent() || !Files.isWritable(file.toAbsolutePath().getParent())) ?
                "cannot write the file" : null));

    // Cluster: several nodes as one broker (docs/cluster.md). All off unless cluster-members is given.

    public static final Setting<String> CLUSTER_MEMBERS = declare(Setting.optionalText("cluster-members",
        "HOST:PORT,...",
        "every node of the cluster, the same list on each node, as host:port; each node uses six UDP ports from its " +
            "port on (directory ingress, consensus, log, catch-up, archive, messages); empty = a single node, and " +
            "nothing of the cluster is started")
        .and(list -> list.isEmpty() ? null : ClusterMembers.check(list), null));

    public static final Setting<Integer> CLUSTER_NODE_ID = declare(Setting.intIn("cluster-node-id", 0, "", 0, 127,
        "this node's place in cluster-members, from 0"));

    public static final Setting<Path> CLUSTER_DIR = declare(Setting.optionalPath("cluster-dir", "DIR",
        "where this node keeps the directory's log and archive and its Aeron files; empty = " +
            "<java.io.tmpdir>/tern-cluster-<node id>; on a small /dev/shm keep it on disk",
        dir -> Files.exists(dir) && !Files.isDirectory(dir) ? "exists and is not a directory" : null));

    public static final Setting<Long> CLUSTER_SESSION_TIMEOUT_MS = declare(Setting.longIn(
        "cluster-session-timeout-ms", 5000, "ms", 500, 600_000,
        "a node silent this long is dead to the directory, and its peers' names are released; a node that hears " +
            "nothing from the directory for half of it drops its own peers first; 5 s rides out a GC pause or a " +
            "leader election and still frees names within seconds"));

    public static final Setting<Long> CLUSTER_LINK_TIMEOUT_MS = declare(Setting.longIn(
        "cluster-link-timeout-ms", 1000, "ms", 1, 60_000,
        "how long the router waits on a back-pressured link to another node (its readers stop meanwhile) before the " +
            "message gets 'error: no peer'; 1 s outlasts a busy receiver, not a dead one"));

    public static final Setting<Integer> CLUSTER_LINK_MTU = declare(Setting.intIn(
        "cluster-link-mtu", 0, "bytes", 0, 65504,
        "largest datagram on a link to another node (messages to it are batched up to this); 0 = 8192 to a node on " +
            "this machine (a loopback address or one of its own; the loopback carries 64 KiB) and Aeron's 1408 to " +
            "any other, which fits any Ethernet path; on a network with jumbo frames 8192 carries more per system " +
            "call")
        .and(mtu -> 0 == mtu || (mtu >= 512 && 0 == mtu % 32) ? null : "must be 0, or a multiple of 32 from 512",
            "0, or a multiple of 32, 512-65504"));

    private static final List<Setting<?>> ALL = Collections.unmodifiableList(new ArrayList<>(DECLARED));

    private Settings()
    {
    }

    /** @return every setting, in declaration order. */
    public static List<Setting<?>> all()
    {
        return ALL;
    }

    /**
     * @param name a setting's name, without dashes, e.g. {@code max-line-bytes}.
     * @return the setting, or null if there is none of that name.
     */
    public static Setting<?> byName(final String name)
    {
        for (final Setting<?> setting : ALL)
        {
            if (setting.name().equals(name))
            {
                return setting;
            }
        }
        return null;
    }

    /**
     * The settings table of docs/configuration.md, generated from the declarations: name, default, unit, valid
     * values and meaning, one row per setting in declaration order.
     *
     * @return Markdown, one line per row, each ending in a newline.
     */
    public static String markdownTable()
    {
        final StringBuilder sb = new StringBuilder()
            .append("| setting | default | unit | valid | meaning |\n")
            .append("|---------|---------|------|-------|---------|\n");
        for (final Setting<?> setting : ALL)
        {
            sb.append("| `").append(setting.name()).append("` | ")
                .append(setting.defaultText().isEmpty() ? "(none)" : "`" + setting.defaultText() + "`").append(" | ")
                .append(markdown(setting.unit())).append(" | ")
                .append(markdown(setting.range())).append(" | ")
                .append(markdown(setting.description())).append(" |\n");
        }
        return sb.toString();
    }

    private static String markdown(final String text)
    {
        return text.replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;");
    }

    private static <T> Setting<T> declare(final Setting<T> setting)
    {
        DECLARED.add(setting);
        return setting;
    }
}
