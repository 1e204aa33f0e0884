/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.cluster;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.aeron.cluster.client.AeronCluster;
import io.aeron.cluster.client.ControlledEgressListener;
import io.aeron.cluster.codecs.EventCode;
import io.aeron.logbuffer.ControlledFragmentHandler;
import io.aeron.logbuffer.Header;
import org.agrona.CloseHelper;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.collections.Object2IntHashMap;
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
 * give their names to others.
 * <p>
 * Across a change of the directory's leader (see {@link DirectoryDescriptor}): it keeps each claim and release it sent
 * until the directory's PONG says it was applied (a claim: until answered), and sends again what a PONG shows was
 * lost; it keeps a copy of the names it told the Router and the number of the last change it told, and when it
 * misses a change it asks for the whole list and tells the Router the difference. Garbage-free in its steady state
 * (pings, and the messages between nodes); allocates per name claimed, released or told, and when it connects.
 */
final class ClusterAgent implements Agent
{
    private static final System.Logger LOG = System.getLogger(ClusterAgent.class.getName());
    private static final long RECONNECT_BACKOFF_NS = TimeUnit.MILLISECONDS.toNanos(100);
    /** At most one line per this interval about failed attempts to join the directory. */
    private static final long CONNECT_FAILURE_LOG_INTERVAL_NS = TimeUnit.SECONDS.toNanos(10);

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
    /** Since when joining has been failing without a line said about it (the start, the last join, the last line). */
    private long lastConnectFailureLogNs = System.nanoTime();
    private long lastEgressNs;
    private long lastPingNs;
    /** A state change told to the Router is owed (the ring was full): -1 when none. */
    private int stateOwed = -1;
    private boolean helloOwed;

    /** Claims and releases sent on this session, in order, until known applied (a claim: answered). */
    private final List<Sent> unacked = new ArrayList<>();
    /** The number of the next claim or release on this session. */
    private long nextSeq = 1;
    /** What is unacknowledged must be sent again before anything new: a PONG showed a loss, or a new leader. */
    private boolean resendOwed;
    /** The names told to the Router, with their node: what a full list is compared with. */
    private final Object2IntHashMap<String> replica = new Object2IntHashMap<>(-1);
    /** The full list being received (after a HELLO). */
    private final Object2IntHashMap<String> syncList = new Object2IntHashMap<>(-1);
    /** Changes owed to the Router after a full list (the ring was full), handed before any other egress. */
    private final List<NameChange> namesOwed = new ArrayList<>();
    private int namesOwedIndex;
    private final UnsafeBuffer nameView = new UnsafeBuffer(0, 0);
    /** The directory's number of the last change told to the Router; -1 before the first full list. */
    private long version = -1;
    /** A HELLO was sent and its full list has not come yet: changes heard meanwhile are in the list or after it. */
    private boolean syncing;
    private long hellosSent;
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

    /** Offers the first {@code length} bytes of {@code message} to the directory; the driver is woken after. */
    private long offer(final DirectBuffer message, final int length)
    {
        final long result = client.offer(message, 0, length);
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
            lastConnectFailureLogNs = nowNs;
            resetSession();
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
            if (nowNs - lastConnectFailureLogNs > CONNECT_FAILURE_LOG_INTERVAL_NS)
            {
                // Failures are expected for a while (no leader yet): a line only once they last, then one per interval.
                lastConnectFailureLogNs = nowNs;
                LOG.log(System.Logger.Level.INFO, "cluster: node " + nodeId + " cannot join the directory yet: " + ex);
            }
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
            if (offer(ingress, DirectoryDescriptor.HELLO_LENGTH) > 0)
            {
                helloOwed = false;
                syncing = true;
                hellosSent++;
                syncList.clear();
                if (!connected)
                {
                    connected = true;
                    stateOwed = ClusterEvents.CLUSTER_CONNECTED;
                    return 1; // the state goes to the Router first, then claims may flow
                }
                work++;
            }
            else if (!connected)
            {
                return checkLoss(nowNs);
            }
        }
        if (!handNamesOwed())
        {
            return work + checkLoss(nowNs); // the ring is full: the next changes wait behind these
        }
        work += client.controlledPollEgress();
        if (resendOwed)
        {
            work += resend();
        }
        if (!resendOwed)
        {
            work += drainCommands(); // new claims and releases only after the ones sent again, in order
        }
        if (nowNs - lastPingNs > pingIntervalNs)
        {
            ingress.putInt(DirectoryDescriptor.TYPE_OFFSET, DirectoryDescriptor.PING);
            ingress.putLong(DirectoryDescriptor.PING_SEQ_SENT_OFFSET, nextSeq - 1);
            ingress.putLong(DirectoryDescriptor.PING_HELLOS_OFFSET, hellosSent);
            if (offer(ingress, DirectoryDescriptor.PING_LENGTH) > 0)
            {
                lastPingNs = nowNs;
            }
        }
        return work + checkLoss(nowNs);
    }

    /** A new session: nothing sent on it yet, and the Router's replica is empty (at start, or cleared on a loss). */
    private void resetSession()
    {
        unacked.clear();
        nextSeq = 1;
        resendOwed = false;
        replica.clear();
        syncList.clear();
        namesOwed.clear();
        namesOwedIndex = 0;
        version = -1;
        syncing = false;
        hellosSent = 0;
    }

    /** Sends again, in order, every claim and release not known applied; false from an offer leaves it owed. */
    private int resend()
    {
        int sent = 0;
        for (int i = 0, size = unacked.size(); i < size; i++)
        {
            final Sent command = unacked.get(i);
            if (!command.done)
            {
                if (offer(command.message, command.message.capacity()) < 0)
                {
                    return sent; // all again next time: the directory applies each once
                }
                sent++;
            }
        }
        resendOwed = false;
        if (sent > 0)
        {
            LOG.log(System.Logger.Level.INFO, "cluster: node " + nodeId + " sent " + sent +
                " claims and releases again");
        }
        return sent;
    }

    /** Hands the changes a full list left owed to the Router. @return whether none is left. */
    private boolean handNamesOwed()
    {
        while (namesOwedIndex < namesOwed.size())
        {
            final NameChange change = namesOwed.get(namesOwedIndex);
            nameView.wrap(change.name);
            final boolean handed = change.held ?
                events.onNameHeld(change.node, nameView, 0, change.name.length) :
                events.onNameReleased(change.node, nameView, 0, change.name.length);
            if (!handed)
            {
                return false;
            }
            namesOwedIndex++;
        }
        if (namesOwedIndex > 0)
        {
            namesOwed.clear();
            namesOwedIndex = 0;
        }
        return true;
    }

    /** The directory's PONG: what it applied of ours, and its latest change. */
    private void onPong(final DirectBuffer buffer, final int offset)
    {
        final long applied = buffer.getLong(offset + DirectoryDescriptor.PONG_SEQ_APPLIED_OFFSET);
        final long sentBeforePing = buffer.getLong(offset + DirectoryDescriptor.PONG_SEQ_SENT_OFFSET);
        boolean lost = false;
        for (int i = 0, size = unacked.size(); i < size; i++)
        {
            final Sent command = unacked.get(i);
            if (!command.done)
            {
                if (!command.claim && command.seq <= applied)
                {
                    command.done = true;
                }
                else if (command.seq <= sentBeforePing)
                {
                    // Sent before the ping, yet not applied (a claim: not answered) by the time the ping was: lost.
                    lost = true;
                }
            }
        }
        trimUnacked();
        if (lost && !resendOwed)
        {
            resendOwed = true;
            LOG.log(System.Logger.Level.INFO, "cluster: node " + nodeId + " finds claims or releases lost (" +
                applied + " of " + sentBeforePing + " applied)");
        }
        if (syncing)
        {
            if (buffer.getLong(offset + DirectoryDescriptor.PONG_HELLOS_OFFSET) == hellosSent)
            {
                // The ping went after the latest HELLO, yet its list has not come: it was lost. Ask again.
                syncing = false;
                helloOwed = true;
            }
        }
        else if (buffer.getLong(offset + DirectoryDescriptor.PONG_VERSION_OFFSET) > version)
        {
            LOG.log(System.Logger.Level.INFO, "cluster: node " + nodeId + " missed changes to the directory (has " +
                version + " of " + buffer.getLong(offset + DirectoryDescriptor.PONG_VERSION_OFFSET) +
                "); asking for the whole list");
            helloOwed = true;
        }
    }

    private void trimUnacked()
    {
        int done = 0;
        while (done < unacked.size() && unacked.get(done).done)
        {
            done++;
        }
        if (done > 0)
        {
            unacked.subList(0, done).clear();
        }
    }

    /** A GRANTED or TAKEN: handed to the Router once, for a claim still waiting; a repeated answer is dropped. */
    private ControlledFragmentHandler.Action onAnswer(final long claimId, final int result)
    {
        for (int i = 0, size = unacked.size(); i < size; i++)
        {
            final Sent command = unacked.get(i);
            if (command.claim && !command.done && command.claimId == claimId)
            {
                if (!events.onClaimResult(claimId, result))
                {
                    return ControlledFragmentHandler.Action.ABORT;
                }
                command.done = true;
                trimUnacked();
                return ControlledFragmentHandler.Action.CONTINUE;
            }
        }
        return ControlledFragmentHandler.Action.CONTINUE;
    }

    /** A HELD or RELEASED: told to the Router if it is the next change; a gap asks for the whole list. */
    private ControlledFragmentHandler.Action onChange(
        final boolean held, final DirectBuffer buffer, final int offset, final int length)
    {
        final long changeVersion = buffer.getLong(offset + DirectoryDescriptor.VERSION_OFFSET);
        if (syncing || changeVersion <= version)
        {
            return ControlledFragmentHandler.Action.CONTINUE; // in the list to come, or told already
        }
        if (changeVersion != version + 1)
        {
            LOG.log(System.Logger.Level.INFO, "cluster: node " + nodeId + " missed changes to the directory (has " +
                version + ", heard " + changeVersion + "); asking for the whole list");
            helloOwed = true;
            return ControlledFragmentHandler.Action.CONTINUE;
        }
        final int node = buffer.getInt(offset + DirectoryDescriptor.NODE_OFFSET);
        final int nameOffset = offset + DirectoryDescriptor.NAME_OFFSET;
        final int nameLength = length - DirectoryDescriptor.NAME_OFFSET;
        final boolean handed = held ?
            events.onNameHeld(node, buffer, nameOffset, nameLength) :
            events.onNameReleased(node, buffer, nameOffset, nameLength);
        if (!handed)
        {
            return ControlledFragmentHandler.Action.ABORT;
        }
        version = changeVersion;
        final String name = buffer.getStringWithoutLengthUtf8(nameOffset, nameLength);
        if (held)
        {
            replica.put(name, node);
        }
        else if (replica.getValue(name) == node)
        {
            replica.removeKey(name);
        }
        return ControlledFragmentHandler.Action.CONTINUE;
    }

    /** The end of a full list: tell the Router what differs from what it was told, or ask again if it is short. */
    private void onSynced(final DirectBuffer buffer, final int offset)
    {
        if (!syncing)
        {
            return;
        }
        syncing = false;
        final long listVersion = buffer.getLong(offset + DirectoryDescriptor.SYNCED_VERSION_OFFSET);
        if (syncList.size() != buffer.getInt(offset + DirectoryDescriptor.SYNCED_COUNT_OFFSET) ||
            listVersion < version)
        {
            syncList.clear();
            helloOwed = true; // part of the list was lost: again
            return;
        }
        replica.forEachInt((name, node) ->
        {
            if (syncList.getValue(name) != node)
            {
                namesOwed.add(new NameChange(false, node, name));
            }
        });
        syncList.forEachInt((name, node) ->
        {
            if (replica.getValue(name) != node)
            {
                namesOwed.add(new NameChange(true, node, name));
            }
        });
        if (version >= 0 && !namesOwed.isEmpty())
        {
            LOG.log(System.Logger.Level.INFO, "cluster: node " + nodeId + " caught up with the directory (" +
                version + " to " + listVersion + "): " + namesOwed.size() + " changes");
        }
        replica.clear();
        syncList.forEachInt(replica::put);
        syncList.clear();
        version = listVersion;
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
        resetSession(); // the Router clears its replica on the loss
        stateOwed = ClusterEvents.CLUSTER_LOST;
        lastConnectFailureLogNs = System.nanoTime();
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
            ingress.putLong(DirectoryDescriptor.CLAIM_SEQ_OFFSET, nextSeq);
            ingress.putInt(DirectoryDescriptor.CLAIM_NODE_OFFSET, nodeId);
            ingress.putBytes(DirectoryDescriptor.CLAIM_NAME_OFFSET, buffer, offset + 8, length - 8);
            return send(true, claimId, DirectoryDescriptor.CLAIM_NAME_OFFSET + length - 8);
        }
        if (CMD_RELEASE == type && null != client && connected)
        {
            ingress.putInt(DirectoryDescriptor.TYPE_OFFSET, DirectoryDescriptor.RELEASE);
            ingress.putLong(DirectoryDescriptor.RELEASE_SEQ_OFFSET, nextSeq);
            ingress.putInt(DirectoryDescriptor.RELEASE_NODE_OFFSET, nodeId);
            ingress.putBytes(DirectoryDescriptor.RELEASE_NAME_OFFSET, buffer, offset, length);
            return send(false, 0, DirectoryDescriptor.RELEASE_NAME_OFFSET + length);
        }
        return ControlledMessageHandler.Action.CONTINUE; // a release with no session: gone with the session
    }

    /** Offers the claim or release in {@code ingress}, numbered {@code nextSeq}, and keeps it until acknowledged. */
    private ControlledMessageHandler.Action send(final boolean claim, final long claimId, final int length)
    {
        if (offer(ingress, length) < 0)
        {
            return ControlledMessageHandler.Action.ABORT;
        }
        final UnsafeBuffer message = new UnsafeBuffer(new byte[length]);
        message.putBytes(0, ingress, 0, length);
        unacked.add(new Sent(nextSeq++, claim, claimId, message));
        return ControlledMessageHandler.Action.CONTINUE;
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
            switch (buffer.getInt(offset + DirectoryDescriptor.TYPE_OFFSET))
            {
                case DirectoryDescriptor.GRANTED:
                    return onAnswer(buffer.getLong(offset + DirectoryDescriptor.CLAIM_ID_OFFSET),
                        ClusterEvents.CLAIM_GRANTED);

                case DirectoryDescriptor.TAKEN:
                    return onAnswer(buffer.getLong(offset + DirectoryDescriptor.CLAIM_ID_OFFSET),
                        ClusterEvents.CLAIM_TAKEN);

                case DirectoryDescriptor.HELD:
                    return onChange(true, buffer, offset, length);

                case DirectoryDescriptor.RELEASED:
                    return onChange(false, buffer, offset, length);

                case DirectoryDescriptor.SYNC_HELD:
                    if (syncing)
                    {
                        syncList.put(buffer.getStringWithoutLengthUtf8(offset + DirectoryDescriptor.NAME_OFFSET,
                            length - DirectoryDescriptor.NAME_OFFSET),
                            buffer.getInt(offset + DirectoryDescriptor.NODE_OFFSET));
                    }
                    return ControlledFragmentHandler.Action.CONTINUE;

                case DirectoryDescriptor.SYNCED:
                    onSynced(buffer, offset);
                    return ControlledFragmentHandler.Action.CONTINUE;

                case DirectoryDescriptor.PONG:
                    onPong(buffer, offset);
                    return ControlledFragmentHandler.Action.CONTINUE;

                default:
                    return ControlledFragmentHandler.Action.CONTINUE;
            }
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
            // What the old leader had not applied is lost with it: send it again to this one (applied once), and ping
            // at once, so that changes this node missed meanwhile show up.
            for (int i = 0, size = unacked.size(); i < size; i++)
            {
                if (!unacked.get(i).done)
                {
                    resendOwed = true;
                    break;
                }
            }
            lastPingNs = System.nanoTime() - pingIntervalNs - 1;
        }
    }

    /** A claim or release sent on this session. */
    private static final class Sent
    {
        final long seq;
        final boolean claim;
        final long claimId;
        final UnsafeBuffer message;
        boolean done;

        Sent(final long seq, final boolean claim, final long claimId, final UnsafeBuffer message)
        {
            this.seq = seq;
            this.claim = claim;
            this.claimId = claimId;
            this.message = message;
        }
    }

    /** A change owed to the Router after a full list. */
    private static final class NameChange
    {
        final boolean held;
        final int node;
        final byte[] name;

        NameChange(final boolean held, final int node, final String name)
        {
            this.held = held;
            this.node = node;
            this.name = name.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        }
    }

    /** @return the listener to give the cluster client's context. */
    ControlledEgressListener egressListener()
    {
        return egressListener;
    }
}
