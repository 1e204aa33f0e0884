/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.cluster;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import java.util.concurrent.TimeUnit;

import io.aeron.ExclusivePublication;
import io.aeron.Publication;
import io.aeron.Image;
import io.aeron.cluster.codecs.CloseReason;
import io.aeron.cluster.service.ClientSession;
import io.aeron.cluster.service.Cluster;
import io.aeron.cluster.service.ClusteredService;
import io.aeron.logbuffer.Header;
import org.agrona.DirectBuffer;
import org.agrona.ExpandableArrayBuffer;
import org.agrona.collections.Long2LongHashMap;
import org.agrona.collections.Long2ObjectHashMap;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.UnsafeBuffer;

import static io.tern.cluster.DirectoryDescriptor.ANSWER_LENGTH;
import static io.tern.cluster.DirectoryDescriptor.CLAIM;
import static io.tern.cluster.DirectoryDescriptor.CLAIM_ID_OFFSET;
import static io.tern.cluster.DirectoryDescriptor.CLAIM_NAME_OFFSET;
import static io.tern.cluster.DirectoryDescriptor.CLAIM_NODE_OFFSET;
import static io.tern.cluster.DirectoryDescriptor.CLAIM_SEQ_OFFSET;
import static io.tern.cluster.DirectoryDescriptor.GRANTED;
import static io.tern.cluster.DirectoryDescriptor.HELD;
import static io.tern.cluster.DirectoryDescriptor.HELLO;
import static io.tern.cluster.DirectoryDescriptor.NAME_OFFSET;
import static io.tern.cluster.DirectoryDescriptor.NODE_OFFSET;
import static io.tern.cluster.DirectoryDescriptor.PING;
import static io.tern.cluster.DirectoryDescriptor.PING_HELLOS_OFFSET;
import static io.tern.cluster.DirectoryDescriptor.PING_SEQ_SENT_OFFSET;
import static io.tern.cluster.DirectoryDescriptor.PONG;
import static io.tern.cluster.DirectoryDescriptor.PONG_HELLOS_OFFSET;
import static io.tern.cluster.DirectoryDescriptor.PONG_LENGTH;
import static io.tern.cluster.DirectoryDescriptor.PONG_SEQ_APPLIED_OFFSET;
import static io.tern.cluster.DirectoryDescriptor.PONG_SEQ_SENT_OFFSET;
import static io.tern.cluster.DirectoryDescriptor.PONG_VERSION_OFFSET;
import static io.tern.cluster.DirectoryDescriptor.RELEASE;
import static io.tern.cluster.DirectoryDescriptor.RELEASED;
import static io.tern.cluster.DirectoryDescriptor.RELEASE_NAME_OFFSET;
import static io.tern.cluster.DirectoryDescriptor.RELEASE_SEQ_OFFSET;
import static io.tern.cluster.DirectoryDescriptor.SYNCED;
import static io.tern.cluster.DirectoryDescriptor.SYNCED_COUNT_OFFSET;
import static io.tern.cluster.DirectoryDescriptor.SYNCED_LENGTH;
import static io.tern.cluster.DirectoryDescriptor.SYNCED_VERSION_OFFSET;
import static io.tern.cluster.DirectoryDescriptor.SYNC_HELD;
import static io.tern.cluster.DirectoryDescriptor.TAKEN;
import static io.tern.cluster.DirectoryDescriptor.TYPE_OFFSET;
import static io.tern.cluster.DirectoryDescriptor.VERSION_OFFSET;

/**
 * The cluster's directory of names, a {@link ClusteredService} replicated by Aeron Cluster: which node holds each
 * name, and which names each node's cluster session holds. A claim of a free name is granted, of a held one refused;
 * a release frees a name the session holds; a session that closes (its node left, or timed out) frees all its names.
 * Every change is told to every session, and a session that says hello is told every name held, so each node keeps
 * a replica to route with.
 * <p>
 * What survives a change of leader (see {@link DirectoryDescriptor}): each session's claims and releases are numbered
 * and applied once, in order, whichever leader they reach, so a node may send again what a dying leader may have lost;
 * each change is numbered ({@code version}), so a node that missed one (told by a leader that died, or by a new leader
 * whose egress was not connected yet) finds out from the next PONG and asks for the whole list again.
 * <p>
 * Deterministic: state changes only in {@code onSessionMessage}, {@code onSessionClose} and the snapshot load, so
 * every member computes the same. Runs on the service container's thread; allocates per name claimed (not on any
 * message path of the broker).
 */
final class NameDirectory implements ClusteredService
{
    private static final System.Logger LOG = System.getLogger(NameDirectory.class.getName());
    private static final int SNAPSHOT_ENTRY = 21;
    /** Snapshot: | 22 | version (8) |. */
    private static final int SNAPSHOT_VERSION = 22;
    /** Snapshot: | 23 | session (8) | seq applied (8) |. */
    private static final int SNAPSHOT_SEQ = 23;
    /**
     * How long the list of names for one HELLO may wait on its node's back-pressure (a long list is many times a
     * node's egress window): the node just asked, so it reads; if it does not within this, the rest of the list is not
     * sent and the node asks again. Bounds how long a node that died just after asking can hold the directory up.
     */
    private static final long LIST_BUDGET_NS = TimeUnit.MILLISECONDS.toNanos(250);

    /** A name's holder. */
    private static final class Holder
    {
        final long sessionId;
        final int node;

        Holder(final long sessionId, final int node)
        {
            this.sessionId = sessionId;
            this.node = node;
        }
    }

    private final Map<String, Holder> holders = new HashMap<>();
    /** Insertion-ordered so release-all tells the names in the order they were claimed, the same on every member. */
    private final Long2ObjectHashMap<Set<String>> namesBySession = new Long2ObjectHashMap<>();
    /** Per open session, the last claim or release applied ({@code seq}); 0 before the first. */
    private final Long2LongHashMap seqApplied = new Long2LongHashMap(0);
    /** How many changes (HELD, RELEASED) there have been: each one's number, told with it. */
    private long version;
    private final UnsafeBuffer egress = new UnsafeBuffer(new byte[DirectoryDescriptor.MAX_LENGTH]);
    private final ExpandableArrayBuffer snapshotBuffer = new ExpandableArrayBuffer(DirectoryDescriptor.MAX_LENGTH);
    private Cluster cluster;

    @Override
    public void onStart(final Cluster cluster, final Image snapshotImage)
    {
        this.cluster = cluster;
        if (null != snapshotImage)
        {
            while (!snapshotImage.isEndOfStream())
            {
                if (0 == snapshotImage.poll(this::onSnapshotFragment, 64))
                {
                    cluster.idleStrategy().idle();
                }
            }
        }
    }

    private void onSnapshotFragment(final DirectBuffer buffer, final int offset, final int length, final Header header)
    {
        final int type = buffer.getInt(offset);
        if (SNAPSHOT_VERSION == type)
        {
            version = buffer.getLong(offset + 4);
            return;
        }
        if (SNAPSHOT_SEQ == type)
        {
            seqApplied.put(buffer.getLong(offset + 4), buffer.getLong(offset + 12));
            return;
        }
        if (type != SNAPSHOT_ENTRY)
        {
            return;
        }
        final long sessionId = buffer.getLong(offset + 4);
        final int node = buffer.getInt(offset + 12);
        final String name = buffer.getStringWithoutLengthUtf8(offset + 16, length - 16);
        hold(name, sessionId, node);
    }

    @Override
    public void onSessionOpen(final ClientSession session, final long timestamp)
    {
    }

    @Override
    public void onSessionClose(final ClientSession session, final long timestamp, final CloseReason closeReason)
    {
        seqApplied.remove(session.id());
        final Set<String> names = namesBySession.remove(session.id());
        if (null == names)
        {
            return;
        }
        int node = -1;
        for (final String name : names)
        {
            final Holder holder = holders.remove(name);
            node = holder.node;
            broadcast(RELEASED, holder.node, name);
        }
        LOG.log(System.Logger.Level.INFO, "directory: node " + node + "'s session closed (" + closeReason +
            "); released " + names.size() + " names");
    }

    @Override
    public void onSessionMessage(final ClientSession session, final long timestamp, final DirectBuffer buffer,
        final int offset, final int length, final Header header)
    {
        switch (buffer.getInt(offset + TYPE_OFFSET))
        {
            case CLAIM:
            {
                final long claimId = buffer.getLong(offset + CLAIM_ID_OFFSET);
                final String name = buffer.getStringWithoutLengthUtf8(offset + CLAIM_NAME_OFFSET,
                    length - CLAIM_NAME_OFFSET);
                final int order = order(session, buffer.getLong(offset + CLAIM_SEQ_OFFSET));
                if (order < 0)
                {
                    // Sent again (its answer, or the leader that had it, was lost): the same answer, from the state.
                    final Holder holder = holders.get(name);
                    answer(session, null != holder && holder.sessionId == session.id() ? GRANTED : TAKEN, claimId);
                }
                else if (0 == order)
                {
                    final int node = buffer.getInt(offset + CLAIM_NODE_OFFSET);
                    if (holders.containsKey(name))
                    {
                        answer(session, TAKEN, claimId);
                    }
                    else
                    {
                        hold(name, session.id(), node);
                        answer(session, GRANTED, claimId);
                        broadcast(HELD, node, name);
                    }
                }
                break;
            }

            case RELEASE:
            {
                if (0 != order(session, buffer.getLong(offset + RELEASE_SEQ_OFFSET)))
                {
                    break;
                }
                final String name = buffer.getStringWithoutLengthUtf8(offset + RELEASE_NAME_OFFSET,
                    length - RELEASE_NAME_OFFSET);
                final Holder holder = holders.get(name);
                if (null != holder && holder.sessionId == session.id())
                {
                    holders.remove(name);
                    final Set<String> names = namesBySession.get(session.id());
                    names.remove(name);
                    if (names.isEmpty())
                    {
                        namesBySession.remove(session.id());
                    }
                    broadcast(RELEASED, holder.node, name);
                }
                break;
            }

            case HELLO:
            {
                // Not replicated state: how long to wait on egress only, so the clock may be read here.
                final long deadlineNs = System.nanoTime() + LIST_BUDGET_NS;
                for (final Map.Entry<String, Holder> entry : holders.entrySet())
                {
                    if (!offer(session, describe(SYNC_HELD, entry.getValue().node, entry.getKey()), deadlineNs))
                    {
                        return; // the node finds its list short, or without its end, and asks again
                    }
                }
                egress.putInt(TYPE_OFFSET, SYNCED);
                egress.putLong(SYNCED_VERSION_OFFSET, version);
                egress.putInt(SYNCED_COUNT_OFFSET, holders.size());
                offer(session, SYNCED_LENGTH, deadlineNs);
                break;
            }

            case PING:
                egress.putInt(TYPE_OFFSET, PONG);
                egress.putLong(PONG_SEQ_APPLIED_OFFSET, seqApplied.get(session.id()));
                egress.putLong(PONG_SEQ_SENT_OFFSET, buffer.getLong(offset + PING_SEQ_SENT_OFFSET));
                egress.putLong(PONG_HELLOS_OFFSET, buffer.getLong(offset + PING_HELLOS_OFFSET));
                egress.putLong(PONG_VERSION_OFFSET, version);
                offer(session, PONG_LENGTH);
                break;

            default:
                break;
        }
    }

    /**
     * Applies a session's claims and releases once each, in the order it numbered them.
     *
     * @return 0 for the next one (now counted as applied), -1 for one applied before, 1 for one after a gap (dropped:
     * the node sends the missing ones again, then this).
     */
    private int order(final ClientSession session, final long seq)
    {
        final long applied = seqApplied.get(session.id());
        if (seq <= applied)
        {
            return -1;
        }
        if (seq != applied + 1)
        {
            return 1;
        }
        seqApplied.put(session.id(), seq);
        return 0;
    }

    private void hold(final String name, final long sessionId, final int node)
    {
        holders.put(name, new Holder(sessionId, node));
        Set<String> names = namesBySession.get(sessionId);
        if (null == names)
        {
            names = new LinkedHashSet<>();
            namesBySession.put(sessionId, names);
        }
        names.add(name);
    }

    private void answer(final ClientSession session, final int type, final long claimId)
    {
        egress.putInt(TYPE_OFFSET, type);
        egress.putLong(CLAIM_ID_OFFSET, claimId);
        offer(session, ANSWER_LENGTH);
    }

    private void broadcast(final int type, final int node, final String name)
    {
        version++;
        for (final ClientSession session : cluster.clientSessions())
        {
            tell(session, type, node, name);
        }
    }

    private void tell(final ClientSession session, final int type, final int node, final String name)
    {
        offer(session, describe(type, node, name));
    }

    /** @return the length of the HELD, RELEASED or SYNC_HELD now in {@code egress}. */
    private int describe(final int type, final int node, final String name)
    {
        egress.putInt(TYPE_OFFSET, type);
        egress.putInt(NODE_OFFSET, node);
        egress.putLong(VERSION_OFFSET, version);
        return NAME_OFFSET + egress.putStringWithoutLengthUtf8(NAME_OFFSET, name);
    }

    /** Offers, waiting on back-pressure until the deadline. @return whether it went. */
    private boolean offer(final ClientSession session, final int length, final long deadlineNs)
    {
        final IdleStrategy idle = cluster.idleStrategy();
        idle.reset();
        while (true)
        {
            final long result = session.offer(egress, 0, length);
            if (result > 0)
            {
                return true;
            }
            if ((Publication.BACK_PRESSURED != result && Publication.ADMIN_ACTION != result) ||
                System.nanoTime() - deadlineNs > 0)
            {
                return false;
            }
            idle.idle();
        }
    }

    /**
     * Egress is not replicated: only the leader's offers go out. Retried briefly on back-pressure, then dropped: a node
     * that misses a change finds out by its number (its next PONG at the latest) and asks for the whole list again, and
     * one that misses an answer sends its claim again; meanwhile it routes by a stale replica (it then gets {@code no
     * peer} or an answer from the wrong node, never a name held twice: that is decided here).
     */
    private void offer(final ClientSession session, final int length)
    {
        for (int attempt = 0; attempt < 3; attempt++)
        {
            if (session.offer(egress, 0, length) > 0)
            {
                return;
            }
            cluster.idleStrategy().idle();
        }
    }

    @Override
    public void onTimerEvent(final long correlationId, final long timestamp)
    {
    }

    @Override
    public void onTakeSnapshot(final ExclusivePublication snapshotPublication)
    {
        snapshotBuffer.putInt(0, SNAPSHOT_VERSION);
        snapshotBuffer.putLong(4, version);
        offerSnapshot(snapshotPublication, 12);
        seqApplied.forEachLong((sessionId, seq) ->
        {
            snapshotBuffer.putInt(0, SNAPSHOT_SEQ);
            snapshotBuffer.putLong(4, sessionId);
            snapshotBuffer.putLong(12, seq);
            offerSnapshot(snapshotPublication, 20);
        });
        final List<Map.Entry<Long, Set<String>>> sessions = new ArrayList<>();
        namesBySession.forEach((sessionId, names) -> sessions.add(Map.entry(sessionId, names)));
        for (final Map.Entry<Long, Set<String>> entry : sessions)
        {
            for (final String name : entry.getValue())
            {
                snapshotBuffer.putInt(0, SNAPSHOT_ENTRY);
                snapshotBuffer.putLong(4, entry.getKey());
                snapshotBuffer.putInt(12, holders.get(name).node);
                final byte[] bytes = name.getBytes(StandardCharsets.UTF_8);
                snapshotBuffer.putBytes(16, bytes);
                offerSnapshot(snapshotPublication, 16 + bytes.length);
            }
        }
    }

    private void offerSnapshot(final ExclusivePublication snapshotPublication, final int length)
    {
        while (snapshotPublication.offer(snapshotBuffer, 0, length) < 0)
        {
            cluster.idleStrategy().idle();
        }
    }

    @Override
    public void onRoleChange(final Cluster.Role newRole)
    {
        LOG.log(System.Logger.Level.INFO, "directory: this member is now " + newRole);
    }

    @Override
    public void onTerminate(final Cluster cluster)
    {
    }
}
