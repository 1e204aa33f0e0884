/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.cluster;

import java.io.File;
import java.io.IOException;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.nio.ByteBuffer;
import java.nio.channels.SelectableChannel;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BiConsumer;

import io.aeron.Aeron;
import io.aeron.ExclusivePublication;
import io.aeron.Publication;
import io.aeron.Subscription;
import io.aeron.cluster.ConsensusModule;
import io.aeron.cluster.client.AeronCluster;
import io.aeron.cluster.service.ClusterCounters;
import io.aeron.driver.status.SenderPos;
import io.aeron.protocol.DataHeaderFlyweight;
import org.agrona.BitUtil;
import org.agrona.CloseHelper;
import org.agrona.DirectBuffer;
import org.agrona.ErrorHandler;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.OneToOneRingBuffer;
import org.agrona.concurrent.ringbuffer.RingBufferDescriptor;
import org.agrona.concurrent.status.CountersReader;

import io.tern.broker.ClusterEvents;
import io.tern.broker.ClusterLink;
import io.tern.broker.ClusterMembers;

import static io.tern.broker.ClusterMembers.MESSAGES_PORT_OFFSET;

/**
 * One node's part of the cluster: its {@link DirectoryMember} and the Aeron client the member made on its driver, one
 * exclusive publication to each other node and one subscription per other node on its own message endpoint (one
 * stream per pair of nodes: stream id {@link #LINK_STREAM_BASE} + the sending node's id), the queue of claims and
 * releases from the Router to the {@link ClusterAgent}, and the agent itself.
 * <pre>
 *   Router (broker thread) ── claim/release ──▶ OneToOneRingBuffer ──▶ cluster agent ── ingress ──▶ directory
 *   Router ── send(node, frame) ──▶ ExclusivePublication[node] ─ UDP ─▶ node's Subscription[this] ──▶ its LinkReader
 * </pre>
 * The links' reader runs on the broker's {@code shared} thread ({@link #pollLinks()}: the node's media driver wakes
 * that thread when a frame arrives, and the frame is routed there, with no hand-off between threads), or, with the
 * broker's dedicated threads, in the {@code cluster} agent. {@link #claim}, {@link #release}, {@link #send} and
 * {@link #pollLinks()} are the broker thread's (the publications are exclusive to it); construction and
 * {@link #close()} any one thread.
 */
final class ClusterNode implements ClusterLink
{
    private static final System.Logger LOG = System.getLogger(ClusterNode.class.getName());
    /** Stream id of the link from node {@code n} is this plus {@code n}. */
    static final int LINK_STREAM_BASE = 1000;
    private static final int COMMAND_QUEUE_BYTES = 1 << 20;
    /**
     * Longest the broker thread leaves the links' driver without running it while it polls the links: the driver's
     * timers, and what its sockets hold while the reader is held back (it then parks instead of selecting, so a
     * watched socket does not announce itself).
     */
    private static final long LINK_DRIVER_TIMER_NS = TimeUnit.MILLISECONDS.toNanos(1);
    /**
     * Longest the links' driver runs on what the broker thread's selector last said of its sockets before it polls its
     * own selector: the broker thread's reader does not select while back-pressure holds it back, and a socket a
     * read found empty is read again only once a selector says it is readable.
     */
    private static final long LINK_SELECT_INTERVAL_NS = TimeUnit.MILLISECONDS.toNanos(1);
    /**
     * Term length of a link's publication, at least: the receiver's window is half a term, up to Aeron's default of
     * 128 KiB; a window of 32 KiB (a 64 KiB term) took a status message back every 8 KiB.
     */
    private static final int LINK_TERM_LENGTH = 256 * 1024;
    /** The links' datagrams to a node on this machine: the loopback carries 64 KiB; a window holds 16 of 8 KiB. */
    static final int LOCAL_LINK_MTU = 8192;
    /** The links' datagrams to a node on another machine: Aeron's default, which fits any Ethernet path. */
    static final int REMOTE_LINK_MTU = 1408;
    /** Tries of a back-pressured offer before the broker thread parks between tries. */
    private static final int BACK_PRESSURE_SPINS = 20;
    /** How long a back-pressured send parks between tries, after its first spins. */
    private static final long BACK_PRESSURE_PARK_NS = TimeUnit.MICROSECONDS.toNanos(20);

    private final int nodeId;
    private final DirectoryMember member;
    private final Aeron aeron;
    private final ExclusivePublication[] publications;
    private final Subscription[] subscriptions;
    private final OneToOneRingBuffer commands;
    private final UnsafeBuffer command = new UnsafeBuffer(new byte[8 + 1024]);
    private final ClusterAgent agent;
    private final LinkReader linkReader;
    /**
     * The broker thread reads the links (shared threading): it runs their {@link LinkDriver} itself, and must go on
     * reading them while a send waits.
     */
    private final boolean brokerReadsLinks;
    /** The links' own driver, run by the broker's thread; null when the member's driver carries them. */
    private final LinkDriver linkDriver;
    /**
     * Has the driver that carries the links send what was offered and read status messages: runs the
     * {@link LinkDriver} (broker thread), or wakes the member's driver.
     */
    private final Runnable kickLinks;
    /** Broker thread's: the link driver did work when last run, so the next poll runs it again. */
    private boolean linkDriverBusy;
    /** Broker thread's: the selector found the links' socket readable since the link driver last ran. */
    private boolean linkSocketReadable;
    /** Broker thread's: when the link driver is due to run for its timers, whatever else happens. */
    private long linkDriverDueNs;
    /** Broker thread's: when the link driver is next to poll its own selector before it runs. */
    private long linkSelectDueNs;
    private final long linkTimeoutNs;
    /**
     * The {@code cluster} agent's wait: woken by the driver when directory traffic (or, with dedicated threads, a
     * frame) arrives and by the Router's claims and releases, so it may park long without delaying either.
     */
    private final WakeableIdleStrategy agentIdle = new WakeableIdleStrategy(
        10, 0, DirectoryMember.AGENT_MAX_PARK_NS, DirectoryMember.AGENT_MAX_PARK_NS);
    /** Broker thread's: a frame was offered since the last {@link #flush()}. */
    private boolean sentSinceFlush;
    /** Broker thread's counts, read by others for display: back-pressure events per node (ordered stores). */
    private final AtomicLongArray backPressureEvents;
    private volatile long sendsNotConnected;
    /**
     * Held by the admin threads while they read Aeron's mapped files for display, and by {@link #close()} while it
     * unmaps them: a read of an unmapped file would crash the JVM. Never taken on the broker or cluster thread.
     */
    private final Object displayLock = new Object();
    private boolean closed;

    /**
     * @param events         where the directory's answers and news go, into the broker's ring.
     * @param linkMtu        largest datagram on the links to the other nodes; 0 for {@link #linkMtu(String)}.
     * @param linkEvents     where the other nodes' frames go when the broker's thread reads the links
     *                       ({@link #pollLinks()}); null to have the {@code cluster} agent read them into
     *                       {@code events}.
     * @param watchLinkSocket registers a socket with the broker's thread's selector, with what to run when it is
     *                        readable; with {@code linkEvents} only.
     * @param testHook       tests only: adjusts the member's contexts; null otherwise.
     */
    ClusterNode(
        final ClusterMembers members,
        final int nodeId,
        final File baseDir,
        final long sessionTimeoutMs,
        final long linkTimeoutMs,
        final int linkMtu,
        final int maxFrameBytes,
        final ClusterEvents events,
        final ClusterEvents linkEvents,
        final BiConsumer<SelectableChannel, Runnable> watchLinkSocket,
        final ErrorHandler errorHandler,
        final DirectoryMember.TestHook testHook)
    {
        if (nodeId < 0 || nodeId >= members.count())
        {
            throw new IllegalArgumentException("--cluster-node-id=" + nodeId + ": cluster-members has " +
                members.count() + " nodes (ids 0-" + (members.count() - 1) + ")");
        }
        this.nodeId = nodeId;
        this.backPressureEvents = new AtomicLongArray(members.count());
        this.linkTimeoutNs = TimeUnit.MILLISECONDS.toNanos(linkTimeoutMs);
        this.linkSelectDueNs = System.nanoTime();
        this.linkDriverDueNs = linkSelectDueNs;
        final long sessionTimeoutNs = TimeUnit.MILLISECONDS.toNanos(sessionTimeoutMs);
        // The member's driver wakes whoever reads what it received: the agent (the directory's egress, and the links
        // when the agent reads them).
        final DriverArrivals arrivals = new DriverArrivals(members.port(nodeId, MESSAGES_PORT_OFFSET),
            agentIdle::wake, this::wakeDirectory);
        member = new DirectoryMember(members, nodeId, baseDir, sessionTimeoutNs, new NameDirectory(), arrivals,
            errorHandler, testHook);
        brokerReadsLinks = null != linkEvents;
        try
        {
            aeron = member.aeron(); // the member's: it holds the ingress endpoint before the consensus module starts
            linkDriver = brokerReadsLinks ? new LinkDriver(new File(baseDir, "aeron-links"),
                (channel, onReadable) -> watchLinkSocket.accept(channel, () ->
                {
                    onReadable.run();
                    linkSocketReadable = true;
                }),
                DirectoryMember.linkConnectionTimeoutNs(sessionTimeoutNs), errorHandler, testHook) : null;
            kickLinks = brokerReadsLinks ? () -> runLinkDriver(false) : member::wakeDriver;
            final Aeron linksAeron = brokerReadsLinks ? linkDriver.aeron() : aeron;
            // A term holds at least 8 of the largest frames (Aeron's largest message is a term / 8), and half a term,
            // the receiver's window, holds Aeron's default window (128 KiB): status messages every 32 KiB.
            // Aeron also wants a term of at least 8 datagrams.
            final int termLength = Math.max(LINK_TERM_LENGTH, BitUtil.findNextPositivePowerOfTwo(8 * Math.max(
                maxFrameBytes + 64, Math.max(linkMtu, LOCAL_LINK_MTU))));
            publications = new ExclusivePublication[members.count()];
            subscriptions = new Subscription[members.count()];
            final String own = "aeron:udp?endpoint=" + members.endpoint(nodeId, MESSAGES_PORT_OFFSET);
            for (int node = 0; node < members.count(); node++)
            {
                if (node != nodeId)
                {
                    publications[node] = linksAeron.addExclusivePublication("aeron:udp?endpoint=" +
                        members.endpoint(node, MESSAGES_PORT_OFFSET) + "|term-length=" + termLength + "|mtu=" +
                        (0 != linkMtu ? linkMtu : linkMtu(members.host(node))), LINK_STREAM_BASE + nodeId);
                    subscriptions[node] = linksAeron.addSubscription(own, LINK_STREAM_BASE + node);
                }
            }
            commands = new OneToOneRingBuffer(new UnsafeBuffer(
                ByteBuffer.allocateDirect(COMMAND_QUEUE_BYTES + RingBufferDescriptor.TRAILER_LENGTH)));
            final AeronCluster.Context clientContext = new AeronCluster.Context()
                .aeron(aeron)
                .ownsAeronClient(false)
                .ingressChannel("aeron:udp?term-length=" + DirectoryMember.DIRECTORY_TERM_LENGTH)
                .ingressEndpoints(DirectoryMember.ingressEndpoints(members))
                .egressChannel("aeron:udp?endpoint=" + members.host(nodeId) + ":0")
                .messageTimeoutNs(sessionTimeoutNs / 2)
                .errorHandler(errorHandler);
            linkReader = new LinkReader(subscriptions, null == linkEvents ? events : linkEvents, kickLinks);
            agent = new ClusterAgent(
                nodeId, clientContext, events, commands, null == linkEvents ? linkReader : null, member::wakeDriver,
                sessionTimeoutNs);
            clientContext.controlledEgressListener(agent.egressListener());
        }
        catch (final RuntimeException ex)
        {
            close();
            throw ex;
        }
    }

    /**
     * The default size of the datagrams on a link: batching more messages per datagram saves system calls and wakes
     * on both sides, as far as the path carries without fragments.
     *
     * @param host the other node's host.
     * @return {@link #LOCAL_LINK_MTU} when the host is this machine (a loopback address, or one of this machine's own),
     * {@link #REMOTE_LINK_MTU} otherwise, and for a host that does not resolve.
     */
    static int linkMtu(final String host)
    {
        try
        {
            final InetAddress address = InetAddress.getByName(host);
            return address.isLoopbackAddress() || address.isAnyLocalAddress() ||
                null != NetworkInterface.getByInetAddress(address) ? LOCAL_LINK_MTU : REMOTE_LINK_MTU;
        }
        catch (final IOException ex)
        {
            return REMOTE_LINK_MTU;
        }
    }

    @Override
    public int nodeId()
    {
        return nodeId;
    }

    @Override
    public boolean claim(final long correlationId, final DirectBuffer name, final int offset, final int length)
    {
        command.putLong(0, correlationId);
        command.putBytes(8, name, offset, length);
        final boolean queued = commands.write(ClusterAgent.CMD_CLAIM, command, 0, 8 + length);
        agentIdle.wake();
        return queued;
    }

    @Override
    public boolean release(final DirectBuffer name, final int offset, final int length)
    {
        final boolean queued = commands.write(ClusterAgent.CMD_RELEASE, name, offset, length);
        agentIdle.wake();
        return queued;
    }

    @Override
    public int send(final int node, final DirectBuffer frame, final int offset, final int length)
    {
        final ExclusivePublication publication = publications[node];
        long result = publication.offer(frame, offset, length);
        if (result > 0)
        {
            sentSinceFlush = true;
            return SENT;
        }
        long deadlineNs = 0;
        int waits = 0;
        while (result == Publication.BACK_PRESSURED || result == Publication.ADMIN_ACTION)
        {
            // Wait here: the broker thread takes no more events, the ring fills, the readers stop reading. Parked
            // rather than spinning or yielding past the first few tries, to leave the cores to the receiving side.
            if (0 == deadlineNs)
            {
                backPressureEvents.setRelease(node, backPressureEvents.getPlain(node) + 1);
                deadlineNs = System.nanoTime() + linkTimeoutNs;
                kickLinksWhileWaiting(); // what is queued must go out for the window to move
            }
            else if (System.nanoTime() - deadlineNs > 0)
            {
                return NO_ROUTE;
            }
            if (++waits <= BACK_PRESSURE_SPINS)
            {
                Thread.onSpinWait();
            }
            else
            {
                // The thread that would hear of a status message is this one, waiting here (or, with dedicated
                // threads, the directory's driver, which does not watch its sending sockets): have the driver read
                // them while the window is shut.
                kickLinksWhileWaiting();
                LockSupport.parkNanos(BACK_PRESSURE_PARK_NS);
            }
            if (brokerReadsLinks)
            {
                // Run the links' driver (it sends what is queued and reads the status messages that open the window)
                // and keep taking the other nodes' frames into the ring (up to its room) while this send waits: a
                // node whose own window is shut may be waiting on ours, and would wait in turn on it (a cycle of
                // nodes each sending to the next) if the thread that reads our links stopped reading them here.
                pollLinks();
            }
            result = publication.offer(frame, offset, length);
        }
        if (result > 0)
        {
            sentSinceFlush = true;
            return SENT;
        }
        sendsNotConnected++;
        return NO_ROUTE;
    }

    /** Runs the links' driver, or wakes the one that carries them, while a send waits for its window. */
    private void kickLinksWhileWaiting()
    {
        if (brokerReadsLinks)
        {
            runLinkDriver(true); // the reader does not select while this thread waits here
        }
        else
        {
            kickLinks.run();
        }
    }

    @Override
    public void flush()
    {
        if (sentSinceFlush)
        {
            sentSinceFlush = false;
            kickLinks.run();
        }
    }

    /** Directory traffic arrived: wakes the cluster agent and the member's Aeron agents. Driver thread. */
    private void wakeDirectory()
    {
        agentIdle.wake();
        final DirectoryMember member = this.member; // null while the member is still being made
        if (null != member)
        {
            member.wakeAgents();
        }
    }

    @Override
    public int pollLinks()
    {
        int driverWork = 0;
        if (null != linkDriver &&
            (linkSocketReadable || linkDriverBusy || System.nanoTime() - linkDriverDueNs >= 0))
        {
            // What arrived goes into the images. Run only when there is something for the driver to do: a run
            // costs its client's and its conductor's duty cycles even when no socket is read.
            driverWork = runLinkDriver(false);
        }
        return driverWork + linkReader.poll();
    }

    /**
     * Runs the links' driver once. Broker thread; garbage-free.
     *
     * @param select true to have the driver poll its own selector first whatever the time since it last did.
     */
    private int runLinkDriver(final boolean select)
    {
        linkSocketReadable = false;
        final long nowNs = System.nanoTime();
        final boolean selectNow = select || nowNs - linkSelectDueNs >= 0;
        if (selectNow)
        {
            linkSelectDueNs = nowNs + LINK_SELECT_INTERVAL_NS;
        }
        final int work = linkDriver.invoke(selectNow);
        linkDriverBusy = work > 0;
        linkDriverDueNs = nowNs + LINK_DRIVER_TIMER_NS;
        return work;
    }

    @Override
    public boolean linksBacklogged()
    {
        return linkReader.hasBacklog() || linkDriverBusy;
    }

    @Override
    public long maxPollIntervalMs()
    {
        return LinkDriver.MAX_INVOKE_INTERVAL_MS;
    }

    @Override
    public Agent agent()
    {
        return agent;
    }

    @Override
    public IdleStrategy idleStrategy()
    {
        return agentIdle;
    }

    /** @return whether joined to the directory. Any thread. */
    boolean isConnected()
    {
        return agent.isConnected();
    }

    @Override
    public int leaderMemberId()
    {
        return agent.leaderMemberId();
    }

    @Override
    public long backPressureEvents()
    {
        long events = 0;
        for (int node = 0; node < backPressureEvents.length(); node++)
        {
            events += backPressureEvents.get(node);
        }
        return events;
    }

    @Override
    public long backPressureEvents(final int node)
    {
        return backPressureEvents.get(node);
    }

    @Override
    public int nodeCount()
    {
        return publications.length;
    }

    /**
     * Reads the consensus module's role counter on the member's media driver, found by its type on each call (a scan
     * of the counters: for display, not for any message path).
     */
    @Override
    public int memberRole()
    {
        synchronized (displayLock)
        {
            if (closed)
            {
                return ROLE_UNKNOWN;
            }
            final CountersReader counters = aeron.countersReader();
            final int counterId = ClusterCounters.find(counters,
                ConsensusModule.Configuration.CLUSTER_NODE_ROLE_TYPE_ID, 0);
            return Aeron.NULL_VALUE == counterId ? ROLE_UNKNOWN : (int)counters.getCounterValue(counterId);
        }
    }

    /**
     * @return the consensus module's election state (the code of Aeron's {@code ElectionState}; {@code CLOSED} when
     * no election runs), or -1 when not found. A scan of the counters, as {@link #memberRole()}; tests only.
     */
    int electionState()
    {
        synchronized (displayLock)
        {
            if (closed)
            {
                return -1;
            }
            final CountersReader counters = aeron.countersReader();
            final int counterId = ClusterCounters.find(counters,
                ConsensusModule.Configuration.ELECTION_STATE_TYPE_ID, 0);
            return Aeron.NULL_VALUE == counterId ? -1 : (int)counters.getCounterValue(counterId);
        }
    }

    @Override
    public boolean linkConnected(final int node)
    {
        synchronized (displayLock)
        {
            final ExclusivePublication publication = publications[node];
            return !closed && null != publication && publication.isConnected();
        }
    }

    @Override
    public boolean linkImagePresent(final int node)
    {
        final Subscription subscription = subscriptions[node];
        return null != subscription && subscription.imageCount() > 0;
    }

    /**
     * Tests only.
     *
     * @param node another node.
     * @return the size of the datagrams on the link to it.
     */
    int linkMtu(final int node)
    {
        return publications[node].maxPayloadLength() + DataHeaderFlyweight.HEADER_LENGTH;
    }

    long sendsNotConnected()
    {
        return sendsNotConnected;
    }

    /**
     * Tests only: stops the directory member and its media driver, as a kill would, before {@link #close()}; the Aeron
     * client stays open (the agent may still be polling through it) until then.
     */
    void closeMemberForTests()
    {
        member.closeAllButClientForTests();
    }

    @Override
    public void close()
    {
        if (null != linkDriver && null != publications)
        {
            // The shared thread has stopped; what it offered last (its final batch, replies of the writers' flush)
            // may not have gone out yet: run the links' driver here until it has, within the link timeout.
            try
            {
                runLinkDriverUntilSent(linkTimeoutNs);
            }
            catch (final RuntimeException ex)
            {
                LOG.log(System.Logger.Level.WARNING, "cluster: sending the links' last frames failed: " + ex);
            }
        }
        synchronized (displayLock)
        {
            closed = true;
        }
        try
        {
            if (null != publications)
            {
                CloseHelper.closeAll(publications);
            }
            if (null != subscriptions)
            {
                CloseHelper.closeAll(subscriptions);
            }
        }
        finally
        {
            CloseHelper.quietClose(linkDriver);
            CloseHelper.quietClose(member); // with the Aeron client
        }
    }

    /**
     * Runs the links' driver until each connected publication's sender has caught up with what was offered, or the
     * limit passes. Closing thread, after the {@code shared} thread has stopped.
     */
    private void runLinkDriverUntilSent(final long limitNs)
    {
        final CountersReader counters = linkDriver.aeron().countersReader();
        final long startNs = System.nanoTime();
        while (System.nanoTime() - startNs < limitNs)
        {
            linkDriver.invoke(true);
            boolean sent = true;
            for (final ExclusivePublication publication : publications)
            {
                if (null != publication && publication.isConnected())
                {
                    final int counterId = counters.findByTypeIdAndRegistrationId(
                        SenderPos.SENDER_POSITION_TYPE_ID, publication.registrationId());
                    sent &= Aeron.NULL_VALUE == counterId ||
                        counters.getCounterValue(counterId) >= publication.position();
                }
            }
            if (sent)
            {
                return;
            }
            LockSupport.parkNanos(BACK_PRESSURE_PARK_NS);
        }
    }
}
