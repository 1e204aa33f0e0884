/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.loadgen;

import io.tern.loadgen.client.FanoutPublish;
import io.tern.loadgen.client.IdlePeers;
import io.tern.loadgen.client.Target;
import io.tern.loadgen.workload.LoadModel;
import io.tern.loadgen.workload.NodeSpread;
import io.tern.loadgen.workload.PayloadDescriptor;
import io.tern.loadgen.workload.Workload;
import io.tern.loadgen.workload.WorkloadKind;
import picocli.CommandLine;
import picocli.CommandLine.Help.Visibility;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Every setting of the loadgen in one place: option name, default, unit and meaning (the annotations, which also
 * make {@code --help}), and the valid ranges ({@link #conclude()}).
 * <p>
 * Fill it by parsing ({@link #parse(String...)}) or with the chainable setters, then {@link #conclude()} once: it
 * validates every value with {@code --name=value: reason} messages and fixes the typed values that the run reads.
 * Not thread safe: build it on one thread, then hand it to {@link LoadGen#run(LoadGenOptions, java.io.PrintStream)}.
 */
public final class LoadGenOptions
{
    static final int MAX_PEERS = 10_000;
    /** Most idle peers: what one process's file limit could hold, spread over many source addresses. */
    static final int MAX_IDLE_PEERS = 1_000_000;
    /** What idle peers' names add to the run's prefix, so that they never clash with the workload's. */
    public static final String IDLE_NAME_INFIX = "idle-";

    @Option(names = "--target", defaultValue = "tern", paramLabel = "KIND",
        description = "the server to drive: tern (this project's broker, line protocol) | nats (nats-server, core " +
            "NATS: each peer SUBs to its own name, a message is a PUB to the receiver's) | redis (redis-server " +
            "pub/sub: each peer SUBSCRIBEs to its own name and PUBLISHes on a second connection). Same workloads, " +
            "payload checks and histograms for all three")
    Target target;

    @Option(names = "--host", defaultValue = "127.0.0.1", paramLabel = "HOST",
        description = "server host name or address")
    String host;

    @Option(names = "--port", defaultValue = "8080", paramLabel = "PORT",
        description = "server TCP port (tern's default; nats-server listens on 4222, redis-server on 6379 by default)")
    int port;

    @Option(names = "--nodes", split = ",", paramLabel = "HOST:PORT[,HOST:PORT...]",
        showDefaultValue = Visibility.NEVER,
        description = "the nodes of a cluster, instead of --host and --port (one node is the same as --host and " +
            "--port): a tern cluster, a nats-server cluster (routes) or a Redis Cluster. Peers are spread so that " +
            "messages cross nodes: a pair's sender on node i and its receiver on node (i+1) mod n (ping-pong too); " +
            "fanout's senders on node 0 and its receivers round-robin over the others; mesh and idle peers " +
            "round-robin. The report names the nodes and the spread (default: none, --host and --port)")
    List<String> nodes;

    @Option(names = "--tls", defaultValue = "false",
        description = "speak TLS (TLSv1.3 or TLSv1.2) to the server, verifying its certificate against --tls-ca (or " +
            "the JDK's default CAs) and --host: tern at its --tls-port, nats-server with tls { } (the handshake " +
            "follows its plain INFO line), redis-server at its --tls-port. Every handshake is done before anything " +
            "is measured (default: off)")
    boolean tls;

    @Option(names = "--tls-ca", paramLabel = "FILE", showDefaultValue = Visibility.NEVER,
        description = "with --tls: the CA certificates (PEM bundle, or PKCS#12 without a password) to verify the " +
            "server's certificate with (default: the JDK's default CAs)")
    Path tlsCa;

    @Option(names = "--tls-cert", paramLabel = "FILE", showDefaultValue = Visibility.NEVER,
        description = "with --tls: a client certificate chain (PEM) to present when the server asks for one; needs " +
            "--tls-key (default: none)")
    Path tlsCert;

    @Option(names = "--tls-key", paramLabel = "FILE", showDefaultValue = Visibility.NEVER,
        description = "with --tls-cert: its private key, unencrypted PKCS#8 PEM (-----BEGIN PRIVATE KEY-----) " +
            "(default: none)")
    Path tlsKey;

    @Option(names = "--workload", defaultValue = "pairs", paramLabel = "KIND",
        description = "pairs (sender i -> receiver i) | fanout (each line to K receivers) | mesh (random peer) | " +
            "none (no messages: only --idle-peers, connected, registered and held for --duration)")
    WorkloadKind workloadKind;

    @Option(names = "--idle-peers", defaultValue = "0", paramLabel = "N",
        description = "before the workload starts, connect N more peers named <prefix>" + IDLE_NAME_INFIX +
            "<i>, register each with the server (tern: its name and a probe to itself; nats: CONNECT, SUB to its " +
            "name, PING; redis: SUBSCRIBE to its name) and hold them open and silent until the run ends; reports " +
            "how fast they registered. One thread and one selector hold them all; above " +
            IdlePeers.SPREAD_ABOVE + " on loopback they are spread over source addresses 127.0.0.1..127.0.0.k, " +
            "at most " + IdlePeers.PEERS_PER_SOURCE_ADDRESS + " each, to keep clear of the ephemeral port range's " +
            "end (redis-server then needs --protected-mode no)")
    int idlePeers;

    @Option(names = "--pairs", defaultValue = "10", paramLabel = "N",
        description = "pairs workload: number of sender/receiver pairs (2N peers)")
    int pairs;

    @Option(names = "--senders", defaultValue = "2", paramLabel = "S",
        description = "fanout workload: number of senders, each addressing all K receivers in every line")
    int senders;

    @Option(names = "--fanout", defaultValue = "8", paramLabel = "K",
        description = "fanout workload: receivers per message (S + K peers)")
    int fanout;

    @Option(names = "--peers", defaultValue = "16", paramLabel = "P",
        description = "mesh workload: number of peers, each sending to peers chosen at random")
    int peers;

    @Option(names = "--fanout-publish", defaultValue = "shared", paramLabel = "MODE",
        description = "nats and redis fanout, which have no multi-destination publish: shared (one publish per " +
            "line to a subject/channel <prefix>fanout that all K receivers also subscribe to; the server fans out, " +
            "as tern does for one line naming K peers) | per-receiver (K publishes per line, one to each " +
            "receiver's own name). Ignored by tern")
    FanoutPublish fanoutPublish;

    @Option(names = "--load", defaultValue = "open", paramLabel = "MODEL",
        description = "open (fixed total rate, latency from the due time) | ping-pong (one message in flight per " +
            "sender) | max (as fast as possible, --in-flight per sender)")
    LoadModel loadModel;

    @Option(names = "--rate", defaultValue = "10000", paramLabel = "MSG/S",
        description = "open loop: total messages (lines) per second over all senders; fanout delivers K per line")
    long rate;

    @Option(names = "--in-flight", defaultValue = "16", paramLabel = "N",
        description = "max load: messages sent but not yet received per sender (per pair in the pairs workload)")
    int inFlight;

    @Option(names = "--message-bytes", defaultValue = "64", paramLabel = "BYTES",
        description = "bytes of text per message: a " + PayloadDescriptor.HEADER_LENGTH +
            "-byte header (sender, sequence, due and send time, checksum) then padding; at most " +
            PayloadDescriptor.MAX_PAYLOAD_BYTES)
    int messageBytes;

    @Option(names = "--warmup", defaultValue = "2s", paramLabel = "TIME", converter = DurationConverter.class,
        description = "load before measuring; sent, checked and recorded as measured, then dropped " +
            "(units ns, us, ms, s, m)")
    long warmupNs;

    @Option(names = "--duration", defaultValue = "10s", paramLabel = "TIME", converter = DurationConverter.class,
        description = "measured time")
    long durationNs;

    @Option(names = "--drain-timeout", defaultValue = "5s", paramLabel = "TIME", converter = DurationConverter.class,
        description = "after sending stops, how long to wait for messages still in flight; then they count as lost")
    long drainTimeoutNs;

    @Option(names = "--connect-timeout", defaultValue = "10s", paramLabel = "TIME",
        converter = DurationConverter.class, description = "deadline to connect every peer and see every probe arrive")
    long connectTimeoutNs;

    @Option(names = "--spin", defaultValue = "0", paramLabel = "TIME", converter = DurationConverter.class,
        description = "sender busy-spins this long before a due time (open) or for a free slot (closed) instead " +
            "of parking; 0 never spins. Spinning costs a core but removes the ~50us park wake-up lateness")
    long spinNs;

    @Option(names = "--client-threads", defaultValue = "2", paramLabel = "N",
        description = "2: a sender and a receiver thread; 1 (closed loops only): one thread sends, then polls the " +
            "receiving sockets (blocking in select, or busy-polling with --spin), so no hand-off between loadgen " +
            "threads sits between an arrival and the next send. With --spin it costs a core")
    int clientThreads;

    @Option(names = "--seed", defaultValue = "1", paramLabel = "N",
        description = "seed of the mesh workload's random destinations")
    long seed;

    @Option(names = "--name-prefix", paramLabel = "TEXT", showDefaultValue = Visibility.NEVER,
        description = "prefix of peer names, followed by the peer index (default: lg<pid>-)")
    String namePrefix;

    @Option(names = "--out", paramLabel = "DIR", showDefaultValue = Visibility.NEVER,
        description = "directory for the run's files: <label>.corrected.hgrm, <label>.uncorrected.hgrm, " +
            "<label>.send-lag.hgrm (HdrHistogram percentile text, us), <label>.hlog (interval log, ns), " +
            "<label>.json (summary), <label>.png (chart) (default: none, no files)")
    Path outDir;

    @Option(names = "--label", paramLabel = "TEXT", showDefaultValue = Visibility.NEVER,
        description = "name of this run in files and charts (default: <workload>-<load>, and -<target> for nats " +
            "and redis)")
    String label;

    @Option(names = "--allow-errors", defaultValue = "false",
        description = "exit 0 even when messages were lost, duplicated, out of order or corrupt; they are still " +
            "reported (default: off)")
    boolean allowErrors;

    @Option(names = "--quiet", defaultValue = "false", description = "no per-second progress lines (default: off)")
    boolean quiet;

    // Concluded values.
    private boolean concluded;
    /** Whether --host or --port were typed: they may not be mixed with --nodes. */
    private boolean hostOrPortTyped;
    private List<String> nodeHosts;
    private int[] nodePorts;
    private String effectiveNamePrefix;
    private String effectiveLabel;

    /**
     * Parses command-line arguments (without subcommands) and concludes.
     *
     * @param args as typed.
     * @return concluded options.
     * @throws CommandLine.ParameterException on unknown options or bad values.
     */
    public static LoadGenOptions parse(final String... args)
    {
        final LoadGenOptions options = new LoadGenOptions();
        final CommandLine commandLine = new CommandLine(options).setCaseInsensitiveEnumValuesAllowed(true);
        try
        {
            final CommandLine.ParseResult result = commandLine.parseArgs(args);
            options.hostOrPortTyped(result.hasMatchedOption("--host") || result.hasMatchedOption("--port"));
        }
        catch (final CommandLine.ParameterException ex)
        {
            throw new CommandLine.ParameterException(commandLine, usageMessage(ex), ex, ex.getArgSpec(), ex.getValue());
        }
        try
        {
            return options.conclude();
        }
        catch (final IllegalArgumentException ex)
        {
            throw new CommandLine.ParameterException(commandLine, ex.getMessage(), ex);
        }
    }

    /**
     * Validates every setting once and fixes the values. Idempotent.
     *
     * @return this.
     * @throws IllegalArgumentException naming the first bad setting as {@code --name=value: reason}.
     */
    public LoadGenOptions conclude()
    {
        if (concluded)
        {
            return this;
        }
        if (null == target)
        {
            throw bad("target", null, "must be one of tern, nats, redis");
        }
        if (null == fanoutPublish)
        {
            throw bad("fanout-publish", null, "must be one of shared, per-receiver");
        }
        if (null == host || host.isBlank())
        {
            throw bad("host", host, "must not be empty");
        }
        checkRange("port", port, 1, 65535);
        concludeNodes();
        if (null == workloadKind)
        {
            throw bad("workload", null, "must be one of pairs, fanout, mesh, none");
        }
        if (null == loadModel)
        {
            throw bad("load", null, "must be one of open, ping-pong, max");
        }
        checkRange("pairs", pairs, 1, MAX_PEERS / 2);
        checkRange("senders", senders, 1, MAX_PEERS);
        checkRange("fanout", fanout, 1, MAX_PEERS);
        checkRange("peers", peers, 2, MAX_PEERS);
        if (workloadKind == WorkloadKind.FANOUT && senders + fanout > MAX_PEERS)
        {
            throw bad("fanout", Integer.toString(fanout), "senders + fanout must be at most " + MAX_PEERS);
        }
        if (workloadKind == WorkloadKind.MESH && (long)peers * peers > Workload.MAX_STREAMS)
        {
            throw bad("peers", Integer.toString(peers), "a mesh of P peers tracks P x P streams; at most " +
                (int)Math.sqrt(Workload.MAX_STREAMS) + " peers");
        }
        if (workloadKind == WorkloadKind.FANOUT && (long)senders * fanout > Workload.MAX_STREAMS)
        {
            throw bad("fanout", Integer.toString(fanout), "senders x fanout streams must be at most " +
                Workload.MAX_STREAMS);
        }
        checkRange("idle-peers", idlePeers, 0, MAX_IDLE_PEERS);
        if (workloadKind == WorkloadKind.NONE && idlePeers == 0)
        {
            throw bad("idle-peers", "0", "--workload none needs idle peers to hold (--idle-peers N)");
        }
        checkRange("rate", rate, 1, 100_000_000);
        checkRange("in-flight", inFlight, 1, 1 << 20);
        PayloadDescriptor.checkPayloadBytes(messageBytes);

        checkDuration("warmup", warmupNs, 0);
        checkDuration("duration", durationNs, TimeUnit.MILLISECONDS.toNanos(100));
        checkDuration("drain-timeout", drainTimeoutNs, 0);
        checkDuration("connect-timeout", connectTimeoutNs, TimeUnit.MILLISECONDS.toNanos(1));
        checkDuration("spin", spinNs, 0);
        if (spinNs > TimeUnit.SECONDS.toNanos(1))
        {
            throw bad("spin", formatDuration(spinNs), "must be at most 1s");
        }

        checkRange("client-threads", clientThreads, 1, 2);
        if (clientThreads == 1 && loadModel == LoadModel.OPEN)
        {
            throw bad("client-threads", "1", "one client thread needs a closed loop (--load ping-pong or max)");
        }

        checkTls();

        effectiveNamePrefix = null != namePrefix ? namePrefix : "lg" + ProcessHandle.current().pid() + "-";
        checkNamePrefix(effectiveNamePrefix, MAX_PEERS);
        if (idlePeers > 0)
        {
            checkNamePrefix(effectiveNamePrefix + IDLE_NAME_INFIX, idlePeers);
        }

        final String targetSuffix = (target == Target.TERN ? "" : "-" + target.optionValue()) + (tls ? "-tls" : "");
        effectiveLabel = null != label ? label : workloadKind == WorkloadKind.NONE ? "idle" + targetSuffix :
            workloadKind.optionValue() + "-" + loadModel.optionValue() + targetSuffix;
        if (effectiveLabel.isEmpty() || !effectiveLabel.matches("[A-Za-z0-9._-]+"))
        {
            throw bad("label", label, "must be non-empty letters, digits, '.', '_' or '-' (it names files)");
        }

        concluded = true;
        return this;
    }

    private void checkTls()
    {
        if (!tls)
        {
            checkNeedsTls("tls-ca", tlsCa);
            checkNeedsTls("tls-cert", tlsCert);
            checkNeedsTls("tls-key", tlsKey);
            return;
        }
        if ((null == tlsCert) != (null == tlsKey))
        {
            throw null == tlsKey ? bad("tls-cert", tlsCert.toString(), "needs --tls-key (its private key)") :
                bad("tls-key", tlsKey.toString(), "needs --tls-cert (the certificate it belongs to)");
        }
        checkReadable("tls-ca", tlsCa);
        checkReadable("tls-cert", tlsCert);
        checkReadable("tls-key", tlsKey);
        if (idlePeers > 0)
        {
            // Idle peers connect hundreds at a time, non-blocking, on one selector: a handshake in that state machine
            // is more than they are worth here; their cost over TLS is the server's memory per session, not the
            // loadgen's concern.
            throw bad("idle-peers", Integer.toString(idlePeers), "idle peers connect over plain TCP only; drop " +
                "--tls, or hold them from a second loadgen without it");
        }
    }

    /** @param typed whether --host or --port were on the command line, which --nodes replaces. */
    void hostOrPortTyped(final boolean typed)
    {
        this.hostOrPortTyped = typed;
        unconclude();
    }

    /** Fixes the node list: {@code --nodes}, or {@code --host} and {@code --port} as a list of one. */
    private void concludeNodes()
    {
        if (null == nodes || nodes.isEmpty())
        {
            nodeHosts = List.of(host);
            nodePorts = new int[]{port};
            return;
        }
        final String list = String.join(",", nodes);
        if (hostOrPortTyped)
        {
            throw bad("nodes", list, "replaces --host and --port; give one or the other");
        }
        final List<String> hosts = new ArrayList<>();
        final int[] ports = new int[nodes.size()];
        final Set<String> seen = new HashSet<>();
        for (int i = 0; i < nodes.size(); i++)
        {
            final String node = nodes.get(i).trim();
            final int colon = node.lastIndexOf(':');
            String nodeHost = colon > 0 ? node.substring(0, colon) : "";
            if (nodeHost.startsWith("[") && nodeHost.endsWith("]"))
            {
                nodeHost = nodeHost.substring(1, nodeHost.length() - 1); // [::1]:4222
            }
            int nodePort = -1;
            try
            {
                nodePort = Integer.parseInt(node.substring(colon + 1));
            }
            catch (final NumberFormatException ex)
            {
                // Reported below.
            }
            if (nodeHost.isBlank() || nodePort < 1 || nodePort > 65535)
            {
                throw bad("nodes", list, "'" + node + "' is not host:port (port 1-65535)");
            }
            if (!seen.add(nodeHost + ":" + nodePort))
            {
                throw bad("nodes", list, "'" + node + "' is listed twice");
            }
            hosts.add(nodeHost);
            ports[i] = nodePort;
        }
        if (tls && hosts.stream().distinct().count() > 1)
        {
            // One TLS context verifies every certificate against one host name.
            throw bad("nodes", list, "with --tls every node must have the same host, the name their certificates " +
                "are verified against");
        }
        nodeHosts = List.copyOf(hosts);
        nodePorts = ports;
    }

    private static void checkNeedsTls(final String name, final Path file)
    {
        if (null != file)
        {
            throw bad(name, file.toString(), "needs --tls");
        }
    }

    private static void checkReadable(final String name, final Path file)
    {
        if (null != file && !java.nio.file.Files.isReadable(file))
        {
            throw bad(name, file.toString(), "no such readable file");
        }
    }

    private void checkNamePrefix(final String prefix, final int peers)
    {
        final String invalid = Workload.checkNamePrefix(prefix, peers);
        if (null != invalid)
        {
            throw bad("name-prefix", prefix, invalid);
        }
        if (target == Target.NATS && (prefix.contains("*") || prefix.contains(">") || prefix.contains(".")))
        {
            // Names are NATS subjects: '*' and '>' are wildcards, '.' separates tokens.
            throw bad("name-prefix", prefix, "nats subjects: no '*', '>' or '.'");
        }
    }

    /** @return the workload topology these options describe, or null for {@code --workload none}. */
    public Workload workloadTopology()
    {
        checkConcluded();
        switch (workloadKind)
        {
            case PAIRS:
                return Workload.pairs(pairs, effectiveNamePrefix);
            case FANOUT:
                return Workload.fanout(senders, fanout, effectiveNamePrefix);
            case NONE:
                return null;
            default:
                return Workload.mesh(peers, effectiveNamePrefix);
        }
    }

    /** @return idle peers to hold beside the workload ({@code --idle-peers}), 0 for none. */
    public int idlePeers()
    {
        checkConcluded();
        return idlePeers;
    }

    /** @return the prefix of idle peers' names: the run's prefix and {@link #IDLE_NAME_INFIX}. */
    public String idleNamePrefix()
    {
        checkConcluded();
        return effectiveNamePrefix + IDLE_NAME_INFIX;
    }

    /**
     * @param count idle peers.
     * @return this, unconcluded.
     */
    public LoadGenOptions idlePeers(final int count)
    {
        this.idlePeers = count;
        return unconclude();
    }

    private String clientThreads()
    {
        final String spinning = spinNs > 0 ? ", spin " + spinNs / 1000 + " us when idle" : "";
        return (clientThreads == 1 ? "; one client thread" : "") + spinning;
    }

    /** @return the effective settings, for printing at start-up. */
    public String describe()
    {
        checkConcluded();
        final StringBuilder sb = new StringBuilder();
        if (nodeCount() == 1)
        {
            sb.append(String.format(Locale.ROOT, "broker      %s:%d, %s%n", nodeHost(0), nodePort(0),
                target.description()));
        }
        else
        {
            sb.append(String.format(Locale.ROOT, "nodes       %d: %s, %s%n", nodeCount(), nodesText(),
                target.description()));
        }
        if (tls)
        {
            sb.append(String.format(Locale.ROOT, "tls         on: trust %s%s%n",
                null == tlsCa ? "the JDK's default CAs" : tlsCa,
                null == tlsCert ? ", no client certificate" : ", client certificate " + tlsCert));
        }
        if (idlePeers > 0)
        {
            sb.append(String.format(Locale.ROOT, "idle peers  %d named %s0..%s%d, registered before the workload " +
                "and held open and silent to the end%s%n", idlePeers, idleNamePrefix(), idleNamePrefix(),
                idlePeers - 1, nodeCount() == 1 ? "" : "; idle peer i on node i mod " + nodeCount()));
        }
        if (workloadKind == WorkloadKind.NONE)
        {
            sb.append(String.format(Locale.ROOT, "workload    none: only the idle peers, held %s%n",
                formatDuration(durationNs)));
            sb.append(String.format(Locale.ROOT, "label       %s%s%n", effectiveLabel,
                null == outDir ? "" : ", files in " + outDir));
            return sb.toString();
        }
        sb.append(String.format(Locale.ROOT, "workload    %s, %d-byte messages%n",
            workloadTopology().describe(), messageBytes));
        if (nodeCount() > 1)
        {
            sb.append(String.format(Locale.ROOT, "spread      %s%n",
                NodeSpread.of(workloadTopology(), nodeCount()).describe()));
        }
        switch (loadModel)
        {
            case OPEN:
                sb.append(String.format(Locale.ROOT, "load        open loop, %d msg/s in total%s%n", rate,
                    spinNs > 0 ? ", spin " + spinNs / 1000 + " us before each due time" : ", park until due"));
                break;
            case PING_PONG:
                sb.append(String.format(Locale.ROOT, "load        ping-pong, one message in flight per sender%s%n",
                    clientThreads()));
                break;
            default:
                sb.append(String.format(Locale.ROOT, "load        max throughput, %d in flight per sender%s%n",
                    inFlight, clientThreads()));
                break;
        }
        sb.append(String.format(Locale.ROOT, "time        warm-up %s, measured %s, drain timeout %s%n",
            formatDuration(warmupNs), formatDuration(durationNs), formatDuration(drainTimeoutNs)));
        sb.append(String.format(Locale.ROOT, "label       %s%s%n", effectiveLabel,
            null == outDir ? "" : ", files in " + outDir));
        return sb.toString();
    }

    // ---------------------------------------------------------------- chainable setters, for programmatic use

    public LoadGenOptions host(final String host)
    {
        this.host = host;
        return unconclude();
    }

    public LoadGenOptions port(final int port)
    {
        this.port = port;
        return unconclude();
    }

    /**
     * @param nodes {@code host:port} of each node, in place of {@link #host(String)} and {@link #port(int)}; null or
     *              empty for those.
     * @return this, unconcluded.
     */
    public LoadGenOptions nodes(final List<String> nodes)
    {
        this.nodes = null == nodes ? null : new ArrayList<>(nodes);
        return unconclude();
    }

    public LoadGenOptions outDir(final Path outDir)
    {
        this.outDir = outDir;
        return unconclude();
    }

    private LoadGenOptions unconclude()
    {
        concluded = false;
        return this;
    }

    /**
     * @param caFile CA certificates to trust, or null for the JDK's defaults; TLS is switched on.
     * @return this, unconcluded.
     */
    public LoadGenOptions tls(final Path caFile)
    {
        this.tls = true;
        this.tlsCa = caFile;
        return unconclude();
    }

    // ---------------------------------------------------------------- concluded values

    /** @return true when the loadgen speaks TLS to the server ({@code --tls}). */
    public boolean tls()
    {
        checkConcluded();
        return tls;
    }

    /** @return {@code --tls-ca}, or null for the JDK's default CAs. */
    public Path tlsCa()
    {
        return tlsCa;
    }

    /** @return {@code --tls-cert}, or null for no client certificate. */
    public Path tlsCert()
    {
        return tlsCert;
    }

    /** @return {@code --tls-key}, or null. */
    public Path tlsKey()
    {
        return tlsKey;
    }

    public LoadGenOptions target(final Target target)
    {
        this.target = target;
        return unconclude();
    }

    public String host()
    {
        return host;
    }

    /** @return how many nodes the peers are spread over: 1 unless {@code --nodes} lists more. */
    public int nodeCount()
    {
        checkConcluded();
        return nodePorts.length;
    }

    /** @return the host of a node, as given. */
    public String nodeHost(final int node)
    {
        checkConcluded();
        return nodeHosts.get(node);
    }

    /** @return the port of a node. */
    public int nodePort(final int node)
    {
        checkConcluded();
        return nodePorts[node];
    }

    /** @return the nodes as {@code host:port, host:port}; for one node, its {@code host:port}. */
    public String nodesText()
    {
        checkConcluded();
        final StringBuilder sb = new StringBuilder();
        for (int node = 0; node < nodePorts.length; node++)
        {
            final String nodeHost = nodeHosts.get(node);
            sb.append(node == 0 ? "" : ", ").append(nodeHost.contains(":") ? "[" + nodeHost + "]" : nodeHost)
                .append(':').append(nodePorts[node]);
        }
        return sb.toString();
    }

    /** @return which kind of server is driven. */
    public Target target()
    {
        checkConcluded();
        return target;
    }

    /** @return NATS and Redis fanout: one shared subject or one publish per receiver. */
    public FanoutPublish fanoutPublish()
    {
        checkConcluded();
        return fanoutPublish;
    }

    public int port()
    {
        return port;
    }

    public WorkloadKind workloadKind()
    {
        checkConcluded();
        return workloadKind;
    }

    public LoadModel loadModel()
    {
        checkConcluded();
        return loadModel;
    }

    /** @return open loop: total messages per second. */
    public long ratePerSecond()
    {
        return rate;
    }

    /** @return closed loops: true if one thread both sends and receives ({@code --client-threads 1}). */
    public boolean oneClientThread()
    {
        checkConcluded();
        return clientThreads == 1;
    }

    /** @return closed loop: messages in flight per sender (1 for ping-pong). */
    public int inFlightPerSender()
    {
        checkConcluded();
        return loadModel == LoadModel.PING_PONG ? 1 : inFlight;
    }

    public int messageBytes()
    {
        return messageBytes;
    }

    public long warmupNs()
    {
        checkConcluded();
        return warmupNs;
    }

    public long durationNs()
    {
        checkConcluded();
        return durationNs;
    }

    public long drainTimeoutNs()
    {
        checkConcluded();
        return drainTimeoutNs;
    }

    public long connectTimeoutNs()
    {
        checkConcluded();
        return connectTimeoutNs;
    }

    public long spinNs()
    {
        checkConcluded();
        return spinNs;
    }

    public long seed()
    {
        return seed;
    }

    public String namePrefix()
    {
        checkConcluded();
        return effectiveNamePrefix;
    }

    /** @return the output directory, or null when no files are wanted. */
    public Path outDir()
    {
        return outDir;
    }

    public String label()
    {
        checkConcluded();
        return effectiveLabel;
    }

    public boolean allowErrors()
    {
        return allowErrors;
    }

    public boolean quiet()
    {
        return quiet;
    }

    // ---------------------------------------------------------------- helpers

    private void checkConcluded()
    {
        if (!concluded)
        {
            throw new IllegalStateException("call conclude() first");
        }
    }

    private static void checkRange(final String name, final long value, final long min, final long max)
    {
        if (value < min || value > max)
        {
            throw bad(name, Long.toString(value), "must be between " + min + " and " + max);
        }
    }

    private static IllegalArgumentException bad(final String name, final String value, final String reason)
    {
        return new IllegalArgumentException("--" + name + "=" + value + ": " + reason);
    }

    private static void checkDuration(final String name, final long ns, final long minNs)
    {
        if (ns < minNs)
        {
            throw bad(name, formatDuration(ns), "must be at least " + formatDuration(minNs));
        }
        if (ns > TimeUnit.HOURS.toNanos(24))
        {
            throw bad(name, formatDuration(ns), "must be at most 24h");
        }
    }

    /**
     * The text of a usage error. picocli's own conversion errors of enum and duration options are restated as
     * {@code --name=value: reason}, like every check of {@link #conclude()}; others keep picocli's text.
     *
     * @param ex as picocli threw it.
     * @return what to tell the user.
     */
    static String usageMessage(final CommandLine.ParameterException ex)
    {
        if (ex.getCause() instanceof CommandLine.TypeConversionException &&
            ex.getArgSpec() instanceof OptionSpec option)
        {
            if (option.type().isEnum())
            {
                return option.longestName() + "=" + ex.getValue() + ": must be one of " +
                    String.join(", ", option.completionCandidates());
            }
            for (final CommandLine.ITypeConverter<?> converter : option.converters())
            {
                if (converter instanceof DurationConverter)
                {
                    return option.longestName() + "=" + ex.getValue() + ": " + ex.getCause().getMessage();
                }
            }
        }
        return ex.getMessage();
    }

    /**
     * Converts {@code 0}, {@code 250ns}, {@code 100us}, {@code 500ms}, {@code 10s}, {@code 1.5s}, {@code 2m},
     * {@code 1h} (case-insensitive, up to 9 decimals) to nanoseconds for picocli. Stateless.
     */
    static final class DurationConverter implements CommandLine.ITypeConverter<Long>
    {
        private static final Pattern DURATION = Pattern.compile("([0-9]{1,12}(?:\\.[0-9]{1,9})?)(ns|us|ms|s|m|h)");

        @Override
        public Long convert(final String text)
        {
            final long ns = parseDurationNs(text);
            if (ns < 0)
            {
                throw new CommandLine.TypeConversionException(
                    "not a duration; use a number and a unit: ns, us, ms, s or m (e.g. 10s, 500ms)");
            }
            return ns;
        }

        /**
         * @param text as typed.
         * @return nanoseconds, or -1 when the text is not a duration.
         */
        static long parseDurationNs(final String text)
        {
            if (null == text)
            {
                return -1;
            }
            final String t = text.trim().toLowerCase(Locale.ROOT);
            if (t.equals("0"))
            {
                return 0;
            }
            final Matcher matcher = DURATION.matcher(t);
            if (!matcher.matches())
            {
                return -1;
            }
            final long unitNs;
            switch (matcher.group(2))
            {
                case "ns":
                    unitNs = 1L;
                    break;
                case "us":
                    unitNs = 1_000L;
                    break;
                case "ms":
                    unitNs = 1_000_000L;
                    break;
                case "s":
                    unitNs = 1_000_000_000L;
                    break;
                case "m":
                    unitNs = 60_000_000_000L;
                    break;
                default:
                    unitNs = 3_600_000_000_000L;
                    break;
            }
            try
            {
                return new BigDecimal(matcher.group(1)).multiply(BigDecimal.valueOf(unitNs))
                    .setScale(0, RoundingMode.HALF_UP).longValueExact();
            }
            catch (final ArithmeticException ex)
            {
                return -1;
            }
        }
    }

    /** @return e.g. {@code 10s}, {@code 500ms}, {@code 100us}. */
    static String formatDuration(final long ns)
    {
        if (ns == 0)
        {
            return "0";
        }
        if (ns % 1_000_000_000L == 0)
        {
            return ns / 1_000_000_000L + "s";
        }
        if (ns % 1_000_000L == 0)
        {
            return ns / 1_000_000L + "ms";
        }
        if (ns % 1_000L == 0)
        {
            return ns / 1_000L + "us";
        }
        return ns + "ns";
    }
}
