/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.cluster;

import java.io.File;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;

import io.aeron.Aeron;
import io.aeron.archive.Archive;
import io.aeron.archive.ArchiveThreadingMode;
import io.aeron.archive.client.AeronArchive;
import io.aeron.cluster.ConsensusModule;
import io.aeron.cluster.service.ClusteredService;
import io.aeron.cluster.service.ClusteredServiceContainer;
import io.aeron.driver.MediaDriver;
import io.aeron.driver.ThreadingMode;
import io.aeron.driver.status.SystemCounterDescriptor;
import org.agrona.CloseHelper;
import org.agrona.ErrorHandler;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.NoOpLock;
import org.agrona.concurrent.ShutdownSignalBarrier;
import org.agrona.concurrent.status.AtomicCounter;

import io.tern.broker.ClusterMembers;

import static io.tern.broker.ClusterMembers.ARCHIVE_PORT_OFFSET;
import static io.tern.broker.ClusterMembers.CATCHUP_PORT_OFFSET;
import static io.tern.broker.ClusterMembers.CONSENSUS_PORT_OFFSET;
import static io.tern.broker.ClusterMembers.INGRESS_PORT_OFFSET;
import static io.tern.broker.ClusterMembers.LOG_PORT_OFFSET;

/**
 * One member of the directory cluster, with everything it runs in this process: an embedded Aeron media driver, the
 * node's Aeron client on it (its cluster client and links use it too), the archive that records the replicated log, the
 * consensus module and the container running {@link NameDirectory}.
 * <p>
 * The member's ingress endpoint is bound once, at start, and held until close (see {@link #INGRESS_HOLD_STREAM_ID}).
 * Aeron's consensus module subscribes to it only when an election ends and drops it when the next begins, so the port
 * was bound anew after each election, and could be busy then: given meanwhile to a socket bound to port 0 anywhere on
 * the machine, or still held by the member's own previous socket (a closed socket registered with a selector keeps its
 * port until that selector next selects, see {@link SelectingIdleStrategy}). And Aeron 1.47's driver, in its shared
 * threading, keeps a receiving endpoint whose socket failed to bind: every later subscription to that address is
 * accepted and hears nothing, for the life of the driver. One such bind left a member that no client could ever join
 * once it led the directory.
 * <p>
 * Built for two cores: every Aeron agent on shared threading (one driver thread, one archive thread, one consensus
 * thread, one service thread, each mostly parked; the driver blocks on its sockets, see {@link SelectingIdleStrategy}),
 * small terms (the directory's messages
 * are a name each) in sparse files, and everything under one directory of the node's (not {@code /dev/shm}, which is
 * small in containers), wiped at start: a member that restarts catches up from the others.
 * <p>
 * Aeron before 1.49 never closes the {@link ShutdownSignalBarrier} its contexts make, and Agrona 2.3's shutdown hook
 * waits for that close: this member passes its own and closes it, so the JVM exits. Start and close from any one
 * thread.
 */
final class DirectoryMember implements AutoCloseable
{
    /** Term length of the directory's own streams (ingress, egress, consensus, log): its messages are a name each. */
    static final int DIRECTORY_TERM_LENGTH = 256 * 1024;

    /**
     * Longest wait of the media driver for its sockets or a wake: its own timers, and its clients' commands, which
     * nothing announces (the Router, the cluster agent and the member's agents wake it when they offer, but an
     * agent's add-publication or add-subscription waits for the driver's answer). Elections make many such calls
     * within a timeout of a twentieth of the session timeout: with 4 ms here, a member restarted from its snapshot
     * failed to join the log in time (NameDirectorySnapshotTest); 1 ms passes.
     */
    static final long DRIVER_MAX_WAIT_NS = TimeUnit.MILLISECONDS.toNanos(1);
    /**
     * Longest park of the member's Aeron agents (archive, consensus, service): the driver wakes them when directory
     * traffic arrives, so the park bounds only what passes between them in memory (the log to the service and the
     * archive, the recording position back to consensus) and their timers. The directory works per name claimed.
     */
    static final long AGENT_MAX_PARK_NS = TimeUnit.MILLISECONDS.toNanos(4);

    /**
     * The stream of the subscription that holds the member's ingress endpoint bound from start to close: no one
     * publishes on it. The consensus module's own ingress subscription (stream 101, made and dropped per election)
     * shares the endpoint, so its socket is never closed and bound again while the member runs.
     */
    static final int INGRESS_HOLD_STREAM_ID = 990;

    private final ShutdownSignalBarrier barrier = new ShutdownSignalBarrier();
    /**
     * The media driver's wait: it blocks on its UDP sockets, so a frame from another node wakes it at once, and the
     * threads that queue frames for it wake it ({@link #wakeDriver()}).
     */
    private final SelectingIdleStrategy driverIdle;
    /** The member's Aeron agents' waits, as they are made at launch; read by the driver thread. */
    private volatile WakeableIdleStrategy[] agentIdles = new WakeableIdleStrategy[0];
    private final String aeronDirectoryName;
    private MediaDriver driver;
    private Aeron aeron;
    private Archive archive;
    private ConsensusModule consensusModule;
    private ClusteredServiceContainer container;

    /**
     * Starts the member: the driver, the node's Aeron client, the hold on the ingress endpoint (a port already in use
     * fails the start here, not an election later), then the archive, the consensus module and the service. Does not
     * wait for an election: that needs a majority of the members started.
     *
     * @param members          every member.
     * @param memberId         this one.
     * @param baseDir          this member's directory.
     * @param sessionTimeoutNs a client silent this long has its session closed.
     * @param service            the clustered service.
     * @param arrivals         whom the media driver wakes when data arrives (it carries the messages between nodes
     *                         too); null for nobody.
     * @param errorHandler       where Aeron's agents report errors.
     * @param testHook           tests only: adjusts the contexts before they start (a partition test's lossy
     *                           endpoints, a restart that keeps the log and snapshots); null otherwise.
     */
    DirectoryMember(
        final ClusterMembers members,
        final int memberId,
        final File baseDir,
        final long sessionTimeoutNs,
        final ClusteredService service,
        final DriverArrivals arrivals,
        final ErrorHandler errorHandler,
        final TestHook testHook)
    {
        final String host = members.host(memberId);
        driverIdle = new SelectingIdleStrategy(0, DRIVER_MAX_WAIT_NS).onWork(arrivals);
        aeronDirectoryName = new File(baseDir, "aeron").getAbsolutePath();
        final MediaDriver.Context driverContext = new MediaDriver.Context()
            .aeronDirectoryName(aeronDirectoryName)
            .threadingMode(ThreadingMode.SHARED)
            // The driver also carries the messages between nodes: its node wakes it (see ClusterNode).
            .sharedIdleStrategy(driverIdle)
            .termBufferSparseFile(true)
            .publicationTermBufferLength(DIRECTORY_TERM_LENGTH)
            .ipcTermBufferLength(DIRECTORY_TERM_LENGTH)
            .dirDeleteOnStart(true)
            .dirDeleteOnShutdown(true)
            .publicationConnectionTimeoutNs(linkConnectionTimeoutNs(sessionTimeoutNs))
            .errorHandler(errorHandler);

        final Archive.Context archiveContext = new Archive.Context()
            .aeronDirectoryName(aeronDirectoryName)
            .archiveDir(new File(baseDir, "archive"))
            .deleteArchiveOnStart(true)
            .controlChannel("aeron:udp?endpoint=" + members.endpoint(memberId, ARCHIVE_PORT_OFFSET))
            .localControlChannel("aeron:ipc?term-length=64k")
            .replicationChannel("aeron:udp?endpoint=" + host + ":0")
            .archiveClientContext(new AeronArchive.Context()
                .controlResponseChannel("aeron:udp?endpoint=" + host + ":0"))
            .recordingEventsEnabled(false)
            .segmentFileLength(4 * DIRECTORY_TERM_LENGTH)
            .threadingMode(ArchiveThreadingMode.SHARED)
            .idleStrategySupplier(this::agentIdle)
            .errorHandler(errorHandler);

        final AeronArchive.Context localArchive = new AeronArchive.Context()
            .lock(NoOpLock.INSTANCE)
            .controlRequestChannel(archiveContext.localControlChannel())
            .controlRequestStreamId(archiveContext.localControlStreamId())
            .controlResponseChannel(archiveContext.localControlChannel())
            .aeronDirectoryName(aeronDirectoryName);

        final ConsensusModule.Context consensusContext = new ConsensusModule.Context()
            .clusterMemberId(memberId)
            .clusterMembers(clusterMembers(members))
            .clusterDir(new File(baseDir, "cluster"))
            .deleteDirOnStart(true)
            .archiveContext(localArchive.clone())
            .serviceCount(1)
            .replicationChannel("aeron:udp?endpoint=" + host + ":0")
            .logChannel("aeron:udp?term-length=" + DIRECTORY_TERM_LENGTH)
            .ingressChannel("aeron:udp?term-length=" + DIRECTORY_TERM_LENGTH)
            .sessionTimeoutNs(sessionTimeoutNs)
            // An election must end well within half the session timeout: that is when nodes drop their peers.
            .leaderHeartbeatTimeoutNs(Math.max(TimeUnit.MILLISECONDS.toNanos(200), sessionTimeoutNs / 4))
            .leaderHeartbeatIntervalNs(Math.max(TimeUnit.MILLISECONDS.toNanos(20), sessionTimeoutNs / 50))
            .electionTimeoutNs(Math.max(TimeUnit.MILLISECONDS.toNanos(100), sessionTimeoutNs / 20))
            .startupCanvassTimeoutNs(Math.max(TimeUnit.MILLISECONDS.toNanos(500), sessionTimeoutNs / 2))
            .shutdownSignalBarrier(barrier)
            .idleStrategySupplier(this::agentIdle)
            .errorHandler(errorHandler);

        final ClusteredServiceContainer.Context serviceContext = new ClusteredServiceContainer.Context()
            .aeronDirectoryName(aeronDirectoryName)
            .archiveContext(localArchive.clone())
            .clusterDir(new File(baseDir, "cluster"))
            .clusteredService(service)
            .serviceId(0)
            .shutdownSignalBarrier(barrier)
            .idleStrategySupplier(this::agentIdle)
            .errorHandler(errorHandler);

        SelectedEndpoints.use(driverContext, driverIdle::register, arrivals);

        if (null != testHook)
        {
            testHook.driver(driverContext);
            testHook.archive(archiveContext);
            testHook.consensus(consensusContext);
        }

        try
        {
            // What ClusteredMediaDriver.launch does, with the client and the ingress hold before the consensus module.
            driver = MediaDriver.launch(driverContext);
            aeron = Aeron.connect(new Aeron.Context()
                .aeronDirectoryName(aeronDirectoryName)
                .errorHandler(errorHandler));
            // Closed with the client. A port in use throws here.
            aeron.addSubscription(
                "aeron:udp?endpoint=" + members.endpoint(memberId, INGRESS_PORT_OFFSET), INGRESS_HOLD_STREAM_ID);
            archive = Archive.launch(archiveContext
                .mediaDriverAgentInvoker(driver.sharedAgentInvoker())
                .errorCounter(new AtomicCounter(driverContext.countersValuesBuffer(),
                    SystemCounterDescriptor.ERRORS.id())));
            consensusModule = ConsensusModule.launch(consensusContext.aeronDirectoryName(aeronDirectoryName));
            container = ClusteredServiceContainer.launch(serviceContext);
        }
        catch (final RuntimeException ex)
        {
            close();
            throw ex;
        }
    }

    /**
     * @param sessionTimeoutNs the directory's session timeout.
     * @return how long a link to a node that stopped answering stays connected: half the session timeout (so its
     * senders get "no peer" by then), at most Aeron's default 5 s.
     */
    static long linkConnectionTimeoutNs(final long sessionTimeoutNs)
    {
        return Math.min(TimeUnit.SECONDS.toNanos(5), sessionTimeoutNs / 2);
    }

    /**
     * Tests only: adjusts a member's contexts before it starts; each method does nothing unless overridden. Endpoint
     * suppliers set here replace {@link SelectedEndpoints}: the driver then polls at its idle strategy's bound.
     */
    interface TestHook
    {
        default void driver(final MediaDriver.Context context)
        {
        }

        default void archive(final Archive.Context context)
        {
        }

        default void consensus(final ConsensusModule.Context context)
        {
        }
    }

    /**
     * Ends the media driver's wait, so that it sends what was queued (or tells a sender its window moved) at once.
     * Any thread, garbage-free.
     */
    void wakeDriver()
    {
        driverIdle.wake();
    }

    /** @return the embedded media driver's directory, for this node's other Aeron clients. */
    String aeronDirectoryName()
    {
        return aeronDirectoryName;
    }

    /** @return the node's Aeron client on the member's driver; the member closes it. Thread-safe, as Aeron's is. */
    Aeron aeron()
    {
        return aeron;
    }

    /** @return the directory's members in Aeron's {@code id,ingress,consensus,log,catchup,archive|...} form. */
    static String clusterMembers(final ClusterMembers members)
    {
        final StringBuilder sb = new StringBuilder();
        for (int id = 0; id < members.count(); id++)
        {
            sb.append(id)
                .append(',').append(members.endpoint(id, INGRESS_PORT_OFFSET))
                .append(',').append(members.endpoint(id, CONSENSUS_PORT_OFFSET))
                .append(',').append(members.endpoint(id, LOG_PORT_OFFSET))
                .append(',').append(members.endpoint(id, CATCHUP_PORT_OFFSET))
                .append(',').append(members.endpoint(id, ARCHIVE_PORT_OFFSET))
                .append('|');
        }
        sb.setLength(sb.length() - 1);
        return sb.toString();
    }

    /** @return the directory's ingress endpoints in Aeron's {@code id=host:port,...} form, for its clients. */
    static String ingressEndpoints(final ClusterMembers members)
    {
        final StringBuilder sb = new StringBuilder();
        for (int id = 0; id < members.count(); id++)
        {
            sb.append(id == 0 ? "" : ",").append(id).append('=').append(members.endpoint(id, INGRESS_PORT_OFFSET));
        }
        return sb.toString();
    }

    /**
     * The wait of one of the member's Aeron agents (archive, consensus, service): parks up to
     * {@link #AGENT_MAX_PARK_NS}, cut short when the driver receives directory traffic ({@link #wakeAgents()}); after
     * a duty cycle with work it wakes the driver, which sends what the agent may have offered.
     */
    private IdleStrategy agentIdle()
    {
        final WakeableIdleStrategy idle = new WakeableIdleStrategy(
            10, 0, AGENT_MAX_PARK_NS, AGENT_MAX_PARK_NS).onWork(this::wakeDriver);
        final WakeableIdleStrategy[] old = agentIdles;
        final WakeableIdleStrategy[] grown = Arrays.copyOf(old, old.length + 1);
        grown[old.length] = idle;
        agentIdles = grown;
        return idle;
    }

    /** Cuts the member's Aeron agents' waits short: directory traffic arrived. Driver thread; garbage-free. */
    void wakeAgents()
    {
        final WakeableIdleStrategy[] idles = agentIdles;
        for (int i = 0; i < idles.length; i++)
        {
            idles[i].wake();
        }
    }

    /**
     * Stops the service, the consensus module, the archive, the node's Aeron client (and with it the ingress hold) and
     * the driver, and closes the barrier. Idempotent.
     */
    @Override
    public void close()
    {
        close(true);
    }

    /**
     * Tests only: stops all but the node's Aeron client, as a kill of the member would: whoever still polls through
     * the client reads mapped memory that stays mapped, and {@link #close()} closes it later.
     */
    void closeAllButClientForTests()
    {
        close(false);
    }

    private void close(final boolean withClient)
    {
        try
        {
            CloseHelper.closeAll(container, consensusModule, archive, withClient ? aeron : null, driver);
        }
        finally
        {
            container = null;
            consensusModule = null;
            archive = null;
            driver = null;
            if (withClient)
            {
                aeron = null;
            }
            // Also after a failed close: the selector holds the closed sockets' ports until it is closed.
            driverIdle.close();
            barrier.close();
        }
    }
}
