/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.cluster;

import java.util.concurrent.TimeUnit;

import io.aeron.cluster.client.AeronCluster;
import io.aeron.cluster.client.ControlledEgressListener;
import io.aeron.cluster.codecs.EventCode;
import io.aeron.logbuffer.ControlledFragmentHandler;
import io.aeron.logbuffer.Header;
import org.agrona.CloseHelper;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.ControlledMessageHandler;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.OneToOneRingBuffer;

import io.tern.broker.ClusterEvents;

/**
 * The {@code cluster} agent: the one thread that talks to the directory. It owns the node's cluster client (Aeron's is
 * not thread-safe): it connects it (again, after a loss), drains the claims and releases the Router queued, polls the
 * directory's egress, and hands what arrives to {@link ClusterEvents} (into the broker's ring). Unless the broker's
 * {@code shared} thread reads the other nodes' links, it reads them too ({@link LinkReader}).
 * <p>
 * Liveness: it pings the directory every tenth of the session timeout; hearing nothing for half of it, it declares
 * the directory lost, so that the Router drops this node's peers before the directory (after the whole timeout) could
 * give their names to others. Garbage-free in its steady state; allocates when it connects.
 */
final class ClusterAgent implements Agent
{
    private static final System.Logger LOG = System.getLogger(ClusterAgent.class.getName());
    private static final long RECONNECT_BACKOFF_NS = TimeUnit.MILLISECONDS.toNanos(100);

    static final int CMD_CLAIM = 1;
    static final int CMD_RELEASE = 2;

    private final int nodeId;
    private final AeronCluster.Context clientContext;
    private final ClusterEvents events;
    private final OneToOneRingBuffer commands;
    /** The links' reader when this agent reads them (not with the broker's shared thread); null otherwise. */
    private final LinkReader links;
    /** Wakes the media driver: it sends what this agent offered to the directory at once. */
    private final Runnable wakeDriver;
    /** This duty cycle offered something to the directory. */
    private boolean offered;
    private final long pingIntervalNs;
    private final long lossTimeoutNs;
    private final MutableDirectBuffer ingress = new UnsafeBuffer(new byte[DirectoryDescriptor.MAX_LENGTH]);
    private final ControlledMessageHandler commandHandler = this::onCommand;
    private final ControlledEgressListener egressListener = new EgressListener();

    private AeronCluster.AsyncConnect connecting;
    private AeronCluster client;
    private long nextConnectNs;
    private long lastEgressNs;
    private long lastPingNs;
    /** A state change told to the Router is owed (the ring was full): -1 when none. */
    private int stateOwed = -1;
    private boolean helloOwed;
    private volatile int leaderMemberId = -1;
    private volatile boolean connected;

    ClusterAgent(
        final int nodeId,
        final AeronCluster.Context clientContext,
        final ClusterEvents events,
        final OneToOneRingBuffer commands,
        final LinkReader links,
        final Runnable wakeDriver,
        final long sessionTimeoutNs)
    {
        this.nodeId = nodeId;
        this.clientContext = clientContext;
        this.events = events;
        this.commands = commands;
        this.links = links;
        this.wakeDriver = wakeDriver;
        this.pingIntervalNs = sessionTimeoutNs / 10;
        this.lossTimeoutNs = sessionTimeoutNs / 2;
    }

    @Override
    public String roleName()
    {
        return "cluster";
    }

    /** @return whether joined to the directory. Any thread. */
    boolean isConnected()
    {
        return connected;
    }

    /** @return the directory's leader as last told, or -1. Any thread. */
    int leaderMemberId()
    {
        return leaderMemberId;
    }

    @Override
    public int doWork()
    {
        final long nowNs = System.nanoTime();
        int work = 0;
        if (stateOwed >= 0)
        {
            if (!events.onClusterState(stateOwed))
            {
                return 0; // the ring is full: nothing else may overtake the state change
            }
            stateOwed = -1;
            work++;
        }
        if (null == client)
        {
            work += connect(nowNs);
        }
        else
        {
            work += serve(nowNs);
        }
        if (null != links)
        {
            work += links.poll();
        }
        events.onBatchEnd();
        if (offered)
        {
            offered = false;
            wakeDriver.run();
        }
        return work;
    }

    /** Offers the first {@code length} bytes of {@link #ingress} to the directory. */
    private long offer(final int length)
    {
        final long result = client.offer(ingress, 0, length);
        if (result > 0)
        {
            offered = true;
        }
        return result;
    }

    private int connect(final long nowNs)
    {
        // Claims queued meanwhile are answered "unavailable"; releases are dropped (the session is gone with them).
        int work = drainCommands();
        if (null == connecting)
        {
            if (nowNs - nextConnectNs < 0)
            {
                return work;
            }
            connecting = AeronCluster.asyncConnect(clientContext.clone());
        }
        try
        {
            final AeronCluster connectedClient = connecting.poll();
            if (null == connectedClient)
            {
                return work;
            }
            connecting = null;
            client = connectedClient;
            lastEgressNs = nowNs;
            lastPingNs = nowNs;
            helloOwed = true;
            leaderMemberId = client.leaderMemberId();
            LOG.log(System.Logger.Level.INFO, "cluster: node " + nodeId + " joined the directory (session " +
                client.clusterSessionId() + ", leader " + leaderMemberId + ")");
            return work + 1;
        }
        catch (final RuntimeException ex)
        {
            // Timed out or refused (no leader yet): try again shortly.
            CloseHelper.quietClose(connecting);
            connecting = null;
            nextConnectNs = nowNs + RECONNECT_BACKOFF_NS;
            LOG.log(System.Logger.Level.DEBUG, () -> "cluster: connect failed: " + ex);
            return work;
        }
    }

    private int serve(final long nowNs)
    {
        int work = 0;
        if (helloOwed)
        {
            ingress.putInt(DirectoryDescriptor.TYPE_OFFSET, DirectoryDescriptor.HELLO);
            ingress.putInt(DirectoryDescriptor.NODE_OFFSET, nodeId);
            if (offer(DirectoryDescriptor.NAME_OFFSET) < 0)
            {
                return checkLoss(nowNs);
            }
            helloOwed = false;
            connected = true;
            stateOwed = ClusterEvents.CLUSTER_CONNECTED;
            return 1; // the state goes to the Router first, then claims may flow
        }
        work += client.controlledPollEgress();
        work += drainCommands();
        if (nowNs - lastPingNs > pingIntervalNs)
        {
            ingress.putInt(DirectoryDescriptor.TYPE_OFFSET, DirectoryDescriptor.PING);
            if (offer(4) > 0)
            {
                lastPingNs = nowNs;
            }
        }
        return work + checkLoss(nowNs);
    }

    private int checkLoss(final long nowNs)
    {
        if (client.isClosed() || nowNs - lastEgressNs > lossTimeoutNs)
        {
            lost(client.isClosed() ? "its session was closed" : "no word from the directory for " +
                TimeUnit.NANOSECONDS.toMillis(nowNs - lastEgressNs) + " ms");
            return 1;
        }
        return 0;
    }

    private void lost(final String why)
    {
        LOG.log(System.Logger.Level.WARNING, "cluster: node " + nodeId + " lost the directory: " + why);
        CloseHelper.quietClose(client);
        client = null;
        connected = false;
        helloOwed = false;
        stateOwed = ClusterEvents.CLUSTER_LOST;
        nextConnectNs = System.nanoTime() + RECONNECT_BACKOFF_NS;
    }

    private int drainCommands()
    {
        return commands.controlledRead(commandHandler, 64);
    }

    /** One queued claim or release; ABORT keeps it queued (the ring or the ingress is full) to retry next duty cycle. */
    private ControlledMessageHandler.Action onCommand(
        final int type, final MutableDirectBuffer buffer, final int offset, final int length)
    {
        if (CMD_CLAIM == type)
        {
            final long claimId = buffer.getLong(offset);
            if (null == client || !connected)
            {
                return events.onClaimResult(claimId, ClusterEvents.CLAIM_UNAVAILABLE) ?
                    ControlledMessageHandler.Action.CONTINUE : ControlledMessageHandler.Action.ABORT;
            }
            ingress.putInt(DirectoryDescriptor.TYPE_OFFSET, DirectoryDescriptor.CLAIM);
            ingress.putLong(DirectoryDescriptor.CLAIM_ID_OFFSET, claimId);
            ingress.putInt(DirectoryDescriptor.CLAIM_NODE_OFFSET, nodeId);
            ingress.putBytes(DirectoryDescriptor.CLAIM_NAME_OFFSET, buffer, offset + 8, length - 8);
            return offer(DirectoryDescriptor.CLAIM_NAME_OFFSET + length - 8) > 0 ?
                ControlledMessageHandler.Action.CONTINUE : ControlledMessageHandler.Action.ABORT;
        }
        if (CMD_RELEASE == type && null != client && connected)
        {
            ingress.putInt(DirectoryDescriptor.TYPE_OFFSET, DirectoryDescriptor.RELEASE);
            ingress.putInt(DirectoryDescriptor.NODE_OFFSET, nodeId);
            ingress.putBytes(DirectoryDescriptor.NAME_OFFSET, buffer, offset, length);
            return offer(DirectoryDescriptor.NAME_OFFSET + length) > 0 ?
                ControlledMessageHandler.Action.CONTINUE : ControlledMessageHandler.Action.ABORT;
        }
        return ControlledMessageHandler.Action.CONTINUE; // a release with no session: gone with the session
    }

    @Override
    public void onClose()
    {
        // An orderly close: the directory closes the session and releases this node's names at once.
        CloseHelper.quietClose(client);
        CloseHelper.quietClose(connecting);
        client = null;
        connected = false;
    }

    private final class EgressListener implements ControlledEgressListener
    {
        @Override
        public ControlledFragmentHandler.Action onMessage(final long clusterSessionId, final long timestamp,
            final DirectBuffer buffer, final int offset, final int length, final Header header)
        {
            lastEgressNs = System.nanoTime();
            final boolean handed;
            switch (buffer.getInt(offset + DirectoryDescriptor.TYPE_OFFSET))
            {
                case DirectoryDescriptor.GRANTED:
                    handed = events.onClaimResult(buffer.getLong(offset + DirectoryDescriptor.CLAIM_ID_OFFSET),
                        ClusterEvents.CLAIM_GRANTED);
                    break;

                case DirectoryDescriptor.TAKEN:
                    handed = events.onClaimResult(buffer.getLong(offset + DirectoryDescriptor.CLAIM_ID_OFFSET),
                        ClusterEvents.CLAIM_TAKEN);
                    break;

                case DirectoryDescriptor.HELD:
                    handed = events.onNameHeld(buffer.getInt(offset + DirectoryDescriptor.NODE_OFFSET), buffer,
                        offset + DirectoryDescriptor.NAME_OFFSET, length - DirectoryDescriptor.NAME_OFFSET);
                    break;

                case DirectoryDescriptor.RELEASED:
                    handed = events.onNameReleased(buffer.getInt(offset + DirectoryDescriptor.NODE_OFFSET), buffer,
                        offset + DirectoryDescriptor.NAME_OFFSET, length - DirectoryDescriptor.NAME_OFFSET);
                    break;

                default:
                    handed = true; // PONG: liveness only
                    break;
            }
            return handed ? ControlledFragmentHandler.Action.CONTINUE : ControlledFragmentHandler.Action.ABORT;
        }

        @Override
        public void onSessionEvent(final long correlationId, final long clusterSessionId,
            final long leadershipTermId, final int leaderMemberId, final EventCode code, final String detail)
        {
            lastEgressNs = System.nanoTime();
            ClusterAgent.this.leaderMemberId = leaderMemberId;
            if (code == EventCode.CLOSED || code == EventCode.ERROR)
            {
                LOG.log(System.Logger.Level.WARNING, "cluster: session event " + code + ": " + detail);
            }
        }

        @Override
        public void onNewLeader(final long clusterSessionId, final long leadershipTermId, final int leaderMemberId,
            final String ingressEndpoints)
        {
            lastEgressNs = System.nanoTime();
            ClusterAgent.this.leaderMemberId = leaderMemberId;
        }
    }

    /** @return the listener to give the cluster client's context. */
    ControlledEgressListener egressListener()
    {
        return egressListener;
    }
}
