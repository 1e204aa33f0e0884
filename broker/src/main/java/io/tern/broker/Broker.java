/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.broker;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ServiceLoader;
import com.lmax.disruptor.ExceptionHandler;
import org.agrona.CloseHelper;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.status.AtomicCounter;
import org.agrona.concurrent.status.CountersManager;

import io.tern.broker.metrics.BrokerMetrics;
import io.tern.broker.metrics.ClaimLatency;
import io.tern.broker.metrics.ClusterMetricsSource;
import io.tern.broker.metrics.NameSnapshotRequests;
import io.tern.broker.metrics.MetricsSettings;
import io.tern.broker.metrics.RouterMetrics;
import io.tern.transport.BuildInfo;
import io.tern.transport.TlsEndpoint;
import io.tern.transport.Transport;
import io.tern.transport.TransportCounters;

import static io.tern.broker.Settings.ADMIN_BIND;
import static io.tern.broker.Settings.ADMIN_PORT;
import static io.tern.broker.Settings.ADMIN_REQUEST_TIMEOUT_MS;
import static io.tern.broker.Settings.ADMIN_TOKEN_FILE;
import static io.tern.broker.Settings.ADMIN_TLS;
import static io.tern.broker.Settings.AUTH_FILE;
import static io.tern.broker.Settings.AUTH_FILE_POLL_MS;
import static io.tern.broker.Settings.AUTH_MAX_ITERATIONS;
import static io.tern.broker.Settings.CLUSTER_MEMBERS;
import static io.tern.broker.Settings.HISTOGRAM_LOG_DIR;
import static io.tern.broker.Settings.IDLE_TIMEOUT_MS;
import static io.tern.broker.Settings.MAX_CONNECTIONS;
import static io.tern.broker.Settings.MAX_DESTINATIONS;
import static io.tern.broker.Settings.MAX_LINE_BYTES;
import static io.tern.broker.Settings.MAX_NAME_BYTES;
import static io.tern.broker.Settings.NAME_CHARSET;
import static io.tern.broker.Settings.NAME_TIMEOUT_MS;
import static io.tern.broker.Settings.PARTIAL_LINE_TIMEOUT_MS;
import static io.tern.broker.Settings.STATS_INTERVAL_MS;
import static io.tern.broker.Settings.TLS_BIND;
import static io.tern.broker.Settings.TLS_CLIENT_AUTH;
import static io.tern.broker.Settings.TLS_PORT;

/**
 * A running broker: the transport's agents, the Disruptor ring and its single handler, the {@link Router}, run on
 * threads as {@link BrokerThreads} composes them for the threading mode.
 * <pre>
 *   reader-0..R-1 ──▶ Disruptor RingBuffer&lt;InboundEvent&gt; ──▶ broker (Router) ──▶ Outbound ring per peer ──▶ writer-0..W-1
 * </pre>
 * {@link #launch(BrokerConfig)} and {@link #close()} may be called from any thread; close is idempotent.
 */
public final class Broker implements AutoCloseable
{
    private static final System.Logger LOG = System.getLogger(Broker.class.getName());
    /** Type id of the broker's error counters. */
    private static final int ERRORS_TYPE_ID = 201;

    private final BrokerConfig config;
    private final BrokerThreads threads;
    private final Transport transport;
    private final Router router;
    private final ReloadableCredentials credentials;
    private final BrokerMetrics metrics;
    private final AtomicCounter handlerErrors;
    private final AtomicCounter agentErrors;
    /** In a cluster: the link the Router uses and the runner of its {@code cluster} agent; null otherwise. */
    private ClusterLink clusterLink;
    private AgentRunner clusterRunner;
    private boolean closed;

    private Broker(final BrokerConfig config) throws IOException
    {
        this.config = config;
        // Every counter of the broker in one CountersManager, allocated here before any thread runs.
        final CountersManager counters = TransportCounters.newCountersManager(
            TransportCounters.count(config.transportSettings()) + RouterMetrics.COUNTERS + 2);
        handlerErrors = counters.newCounter("errors: broker handler", ERRORS_TYPE_ID);
        agentErrors = counters.newCounter("errors: transport agents", ERRORS_TYPE_ID);
        this.threads = new BrokerThreads(config, agentErrors);
        credentials = null == config.get(AUTH_FILE) ? null :
            new ReloadableCredentials(config.get(AUTH_FILE), config.get(AUTH_MAX_ITERATIONS));
        transport = new Transport(config.transportSettings(),
            new DisruptorInboundSink(threads.ringBuffer()),
            credentials,
            config.authenticatorSettings(),
            counters);

        router = new Router(transport, new RouterMetrics(counters), config.get(MAX_NAME_BYTES),
            config.get(MAX_LINE_BYTES), config.get(MAX_DESTINATIONS), config.get(NAME_TIMEOUT_MS),
            config.get(MAX_CONNECTIONS), config.get(PARTIAL_LINE_TIMEOUT_MS), config.get(IDLE_TIMEOUT_MS),
            config.get(NAME_CHARSET));
        transport.outboundBudgetListener(router);
        if (!config.get(CLUSTER_MEMBERS).isEmpty())
        {
            // Only here is the cluster looked for: without cluster-members no class of it (nor of Aeron) is loaded.
            final ClusterProvider provider = ServiceLoader.load(ClusterProvider.class).findFirst().orElseThrow(
                () -> new IllegalArgumentException("--" + CLUSTER_MEMBERS.name() + " is set, but the cluster " +
                    "module (tern-cluster) is not on the class path: start the cluster's jar"));
            final int arenaBytes = 4 * (config.get(MAX_LINE_BYTES) + 2 * config.get(MAX_NAME_BYTES) + 64);
            final int sinkBytes = Math.max(1 << 20, arenaBytes);
            if (threads.mode() == BrokerConfig.ThreadingMode.SHARED)
            {
                // The shared thread reads the other nodes' links itself (PolledRouter), woken by their sockets, which
                // it watches beside its clients', and routes their frames on the spot; the cluster agent wakes it for
                // the directory's news.
                clusterLink = provider.start(config,
                    new ClusterInboundSink(threads.ringBuffer(), sinkBytes, transport::wakeShared),
                    new ClusterInboundSink(threads.ringBuffer(), sinkBytes, () -> { }), transport::watchOnShared);
            }
            else
            {
                // The dedicated broker thread's wait strategy is signalled by each publish.
                clusterLink = provider.start(config,
                    new ClusterInboundSink(threads.ringBuffer(), sinkBytes, () -> { }), null, null);
            }
            router.cluster(clusterLink, config.get(MAX_CONNECTIONS));
            clusterRunner = new AgentRunner(clusterLink.idleStrategy(), ex ->
            {
                agentErrors.increment();
                LOG.log(System.Logger.Level.ERROR, "cluster agent error", ex);
            }, null, clusterLink.agent());
        }
        if (config.get(TLS_PORT) >= 0)
        {
            transport.tls(new TlsEndpoint(config.get(TLS_BIND), config.get(TLS_PORT), config.tlsContext(),
                config.get(TLS_CLIENT_AUTH)));
        }
        threads.compose(transport, router, clusterLink, new LoggingExceptionHandler(),
            null == credentials || 0 == config.get(AUTH_FILE_POLL_MS) ? null :
                new CredentialsWatcher(credentials, config.get(AUTH_FILE_POLL_MS)));
        try
        {
            // Binds the admin port now: a port in use fails start-up before any thread runs.
            metrics = BrokerMetrics.create(new MetricsSettings(config.get(ADMIN_BIND), config.get(ADMIN_PORT),
                config.get(ADMIN_REQUEST_TIMEOUT_MS), config.get(ADMIN_TOKEN_FILE), config.get(STATS_INTERVAL_MS),
                config.get(HISTOGRAM_LOG_DIR),
                config.get(ADMIN_TLS) == BrokerConfig.OnOff.ON ? config.tlsContext() : null,
                BuildInfo.version(), BuildInfo.commit()),
                router.metrics(), transport, threads.ringBuffer(),
                this::internalErrors, router.snapshotRequests());
        }
        catch (final IOException | RuntimeException ex)
        {
            threads.abort();
            CloseHelper.quietClose(clusterRunner);
            CloseHelper.quietClose(clusterLink);
            throw ex;
        }
        if (null != clusterLink)
        {
            metrics.cluster(new ClusterMetrics(router.clusterCounters(), clusterLink, router.nameSnapshotRequests()));
        }
    }

    /** The cluster's counters as {@code /metrics} reads them: the Router's and the link's. Metrics thread. */
    private static final class ClusterMetrics implements ClusterMetricsSource
    {
        private final Router.ClusterCounters counters;
        private final ClusterLink link;
        private final NameSnapshotRequests nameSnapshots;

        ClusterMetrics(final Router.ClusterCounters counters, final ClusterLink link,
            final NameSnapshotRequests nameSnapshots)
        {
            this.counters = counters;
            this.link = link;
            this.nameSnapshots = nameSnapshots;
        }

        @Override
        public long nodeId()
        {
            return link.nodeId();
        }

        @Override
        public long connected()
        {
            return counters.connected ? 1 : 0;
        }

        @Override
        public long leaderMemberId()
        {
            return link.leaderMemberId();
        }

        @Override
        public long remoteNames()
        {
            return counters.remoteNames;
        }

        @Override
        public long claims()
        {
            return counters.claims;
        }

        @Override
        public long claimsGranted()
        {
            return counters.claimsGranted;
        }

        @Override
        public long claimsTaken()
        {
            return counters.claimsTaken;
        }

        @Override
        public long claimsUnavailable()
        {
            return counters.claimsUnavailable;
        }

        @Override
        public ClaimLatency claimLatency()
        {
            return counters.claimLatency;
        }

        @Override
        public long framesSent()
        {
            return Router.ClusterCounters.sum(counters.framesSent);
        }

        @Override
        public long bytesSent()
        {
            return Router.ClusterCounters.sum(counters.bytesSent);
        }

        @Override
        public long framesReceived()
        {
            return Router.ClusterCounters.sum(counters.framesReceived);
        }

        @Override
        public long sendsFailed()
        {
            return Router.ClusterCounters.sum(counters.sendsFailed);
        }

        @Override
        public long backPressureEvents()
        {
            return link.backPressureEvents();
        }

        @Override
        public long peersDroppedOnLoss()
        {
            return counters.peersDroppedOnLoss;
        }

        @Override
        public int nodeCount()
        {
            return link.nodeCount();
        }

        @Override
        public int memberRole()
        {
            return link.memberRole();
        }

        @Override
        public boolean linkConnected(final int node)
        {
            return link.linkConnected(node);
        }

        @Override
        public boolean linkImagePresent(final int node)
        {
            return link.linkImagePresent(node);
        }

        @Override
        public long framesSent(final int node)
        {
            return counters.framesSent.get(node);
        }

        @Override
        public long bytesSent(final int node)
        {
            return counters.bytesSent.get(node);
        }

        @Override
        public long framesReceived(final int node)
        {
            return counters.framesReceived.get(node);
        }

        @Override
        public long bytesReceived(final int node)
        {
            return counters.bytesReceived.get(node);
        }

        @Override
        public long sendsFailed(final int node)
        {
            return counters.sendsFailed.get(node);
        }

        @Override
        public long backPressureEvents(final int node)
        {
            return link.backPressureEvents(node);
        }

        @Override
        public long names(final int node)
        {
            return counters.names.get(node);
        }

        @Override
        public NameSnapshotRequests nameSnapshots()
        {
            return nameSnapshots;
        }
    }

    /**
     * Validates the config, binds and starts every thread.
     *
     * @param config settings; {@link BrokerConfig#conclude()} is called here.
     * @return the running broker.
     * @throws IOException if the address cannot be bound.
     * @throws IllegalArgumentException for a bad setting, or one the threading mode in force would ignore.
     */
    public static Broker launch(final BrokerConfig config) throws IOException
    {
        config.conclude();
        final Broker broker = new Broker(config);
        try
        {
            broker.threads.start();
        }
        catch (final IOException | RuntimeException ex)
        {
            broker.metrics.close();
            CloseHelper.quietClose(broker.clusterRunner);
            CloseHelper.quietClose(broker.clusterLink);
            throw ex;
        }
        if (null != broker.clusterRunner)
        {
            AgentRunner.startOnThread(broker.clusterRunner);
        }
        broker.metrics.start();
        return broker;
    }

    /** @return the settings in force. */
    public BrokerConfig config()
    {
        return config;
    }

    /** @return the address actually bound (port resolved when configured as 0). */
    public InetSocketAddress localAddress()
    {
        return transport.localAddress();
    }

    /** @return the TLS port's address actually bound, or null when {@code tls-port} is off. */
    public InetSocketAddress tlsAddress()
    {
        return transport.tlsLocalAddress();
    }

    /** @return the admin HTTP endpoint's address (port resolved when configured as 0), or null when it is off. */
    public InetSocketAddress adminAddress()
    {
        return metrics.adminAddress();
    }

    /** @return connections accepted and not yet closed. */
    public long connectionsOpen()
    {
        return transport.connectionsOpen();
    }

    /**
     * @return direct memory allocated so far for connections, in bytes: staging buffers (closed connections' are
     * reused, so they follow the most connections open at once) and outbound segments, in use or pooled (at most the
     * outbound budget).
     */
    public long connectionMemoryBytes()
    {
        return transport.connectionMemoryBytes();
    }

    /** @return direct memory of the outbound segments peers hold now; zero when every peer has read everything. */
    public long outboundMemoryInUseBytes()
    {
        return transport.outboundMemoryInUseBytes();
    }

    /** @return direct memory allocated for outbound segments, held by peers or pooled. */
    public long outboundMemoryAllocatedBytes()
    {
        return transport.outboundMemoryAllocatedBytes();
    }

    /** @return the most outbound memory ever held at once by peers not being closed: what the budget bounds. */
    public long outboundMemoryHighWaterBytes()
    {
        return transport.outboundMemoryHighWaterBytes();
    }

    /** @return bytes queued for peers and not yet taken by their writers (as of the broker's latest batch). */
    public long outboundQueuedBytes()
    {
        return transport.outboundQueuedBytes();
    }

    /**
     * Reads the credentials file again (what SIGHUP does, and the credentials watcher once the file changed): users
     * added since count from the next login; if the file cannot be read, the credentials in force stay. Any thread.
     *
     * @return true if the file was read; false if it could not be, or the broker has no {@code --auth-file}.
     */
    public boolean reloadCredentials()
    {
        if (null == credentials)
        {
            LOG.log(System.Logger.Level.INFO, "reload asked for, but there is no --auth-file: nothing to reload");
            return false;
        }
        return credentials.reload();
    }

    /**
     * @return logins (with {@code --auth-file}) whose first line is complete and that wait for a credentials check or
     * are being checked; zero without authentication. Any thread; a snapshot.
     */
    public int loginsChecking()
    {
        return transport.loginsChecking();
    }

    /** @return peers disconnected as slow consumers since start. */
    public long slowConsumerDisconnects()
    {
        return router.slowConsumerDisconnects();
    }

    /** @return messages written into recipients' outbound rings since start. */
    public long messagesDelivered()
    {
        return router.messagesDelivered();
    }

    /**
     * @return true once this node is joined to the cluster's directory (always false without cluster settings). Any
     * thread; a snapshot.
     */
    public boolean clusterConnected()
    {
        return null != clusterLink && router.clusterCounters().connected;
    }

    /** @return names held on other nodes that this node knows of; 0 without cluster settings. Any thread. */
    public long clusterRemoteNames()
    {
        return null == clusterLink ? 0 : router.clusterCounters().remoteNames;
    }

    /** @return unexpected exceptions in the broker's handler or the transport's agents; zero unless there is a bug. */
    public long internalErrors()
    {
        return handlerErrors.get() + agentErrors.get();
    }

    /**
     * Orderly shutdown: stop accepting, hand over and route every complete line already read, flush outbound rings
     * within {@code flush-timeout-ms}, close every connection. Idempotent.
     */
    @Override
    public synchronized void close()
    {
        if (closed)
        {
            return;
        }
        closed = true;
        threads.close();
        // After the router's last batch: the cluster agent stops, then the node leaves the directory (its names are
        // released with its session) and closes its links.
        CloseHelper.quietClose(clusterRunner);
        CloseHelper.quietClose(clusterLink);
        metrics.close(); // last: its final interval then holds every message written
    }

    /** Counts and logs; never halts the broker thread. */
    private final class LoggingExceptionHandler implements ExceptionHandler<InboundEvent>
    {
        @Override
        public void handleEventException(final Throwable ex, final long sequence, final InboundEvent event)
        {
            handlerErrors.increment(); // any thread that runs the handler: atomic
            LOG.log(System.Logger.Level.ERROR, "broker failed on event " + sequence + " from " +
                event.connection, ex);
        }

        @Override
        public void handleOnStartException(final Throwable ex)
        {
            handlerErrors.increment(); // any thread that runs the handler: atomic
            LOG.log(System.Logger.Level.ERROR, "broker failed to start", ex);
        }

        @Override
        public void handleOnShutdownException(final Throwable ex)
        {
            handlerErrors.increment(); // any thread that runs the handler: atomic
            LOG.log(System.Logger.Level.ERROR, "broker failed to shut down", ex);
        }
    }
}
