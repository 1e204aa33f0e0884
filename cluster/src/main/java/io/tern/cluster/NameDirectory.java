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

import io.aeron.ExclusivePublication;
import io.aeron.Image;
import io.aeron.cluster.codecs.CloseReason;
import io.aeron.cluster.service.ClientSession;
import io.aeron.cluster.service.Cluster;
import io.aeron.cluster.service.ClusteredService;
import io.aeron.logbuffer.Header;
import org.agrona.DirectBuffer;
import org.agrona.ExpandableArrayBuffer;
import org.agrona.collections.Long2ObjectHashMap;
import org.agrona.concurrent.UnsafeBuffer;

import static io.tern.cluster.DirectoryDescriptor.CLAIM;
import static io.tern.cluster.DirectoryDescriptor.CLAIM_ID_OFFSET;
import static io.tern.cluster.DirectoryDescriptor.CLAIM_NAME_OFFSET;
import static io.tern.cluster.DirectoryDescriptor.CLAIM_NODE_OFFSET;
import static io.tern.cluster.DirectoryDescriptor.GRANTED;
import static io.tern.cluster.DirectoryDescriptor.HELD;
import static io.tern.cluster.DirectoryDescriptor.HELLO;
import static io.tern.cluster.DirectoryDescriptor.NAME_OFFSET;
import static io.tern.cluster.DirectoryDescriptor.NODE_OFFSET;
import static io.tern.cluster.DirectoryDescriptor.PING;
import static io.tern.cluster.DirectoryDescriptor.PONG;
import static io.tern.cluster.DirectoryDescriptor.RELEASE;
import static io.tern.cluster.DirectoryDescriptor.RELEASED;
import static io.tern.cluster.DirectoryDescriptor.TAKEN;
import static io.tern.cluster.DirectoryDescriptor.TYPE_OFFSET;

/**
 * The cluster's directory of names, a {@link ClusteredService} replicated by Aeron Cluster: which node holds each
 * name, and which names each node's cluster session holds. A claim of a free name is granted, of a held one refused;
 * a release frees a name the session holds; a session that closes (its node left, or timed out) frees all its names.
 * Every change is told to every session, and a session that says hello is told every name held, so each node keeps
 * a replica to route with.
 * <p>
 * Deterministic: state changes only in {@code onSessionMessage}, {@code onSessionClose} and the snapshot load, so
 * every member computes the same. Runs on the service container's thread; allocates per name claimed (not on any
 * message path of the broker).
 */
final class NameDirectory implements ClusteredService
{
    private static final System.Logger LOG = System.getLogger(NameDirectory.class.getName());
    private static final int SNAPSHOT_ENTRY = 21;

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
        if (buffer.getInt(offset) != SNAPSHOT_ENTRY)
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
                final int node = buffer.getInt(offset + CLAIM_NODE_OFFSET);
                final String name = buffer.getStringWithoutLengthUtf8(offset + CLAIM_NAME_OFFSET,
                    length - CLAIM_NAME_OFFSET);
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
                break;
            }

            case RELEASE:
            {
                final String name = buffer.getStringWithoutLengthUtf8(offset + NAME_OFFSET, length - NAME_OFFSET);
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
                for (final Map.Entry<String, Holder> entry : holders.entrySet())
                {
                    tell(session, HELD, entry.getValue().node, entry.getKey());
                }
                break;

            case PING:
                egress.putInt(TYPE_OFFSET, PONG);
                offer(session, 4);
                break;

            default:
                break;
        }
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
        offer(session, CLAIM_ID_OFFSET + 8);
    }

    private void broadcast(final int type, final int node, final String name)
    {
        for (final ClientSession session : cluster.clientSessions())
        {
            tell(session, type, node, name);
        }
    }

    private void tell(final ClientSession session, final int type, final int node, final String name)
    {
        egress.putInt(TYPE_OFFSET, type);
        egress.putInt(NODE_OFFSET, node);
        final int nameLength = egress.putStringWithoutLengthUtf8(NAME_OFFSET, name);
        offer(session, NAME_OFFSET + nameLength);
    }

    /**
     * Egress is not replicated: only the leader's offers go out. Retried briefly on back-pressure; a node that misses a
     * held/released message routes by a stale replica until the next change of that name (it then gets {@code no
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
                while (snapshotPublication.offer(snapshotBuffer, 0, 16 + bytes.length) < 0)
                {
                    cluster.idleStrategy().idle();
                }
            }
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
