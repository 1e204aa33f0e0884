/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.cluster;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import io.aeron.Aeron;
import io.aeron.archive.Archive;
import io.aeron.cluster.ClusterControl;
import io.aeron.cluster.ConsensusModule;
import io.aeron.cluster.ElectionState;
import io.aeron.cluster.client.AeronCluster;
import io.aeron.cluster.client.EgressListener;
import io.aeron.cluster.service.ClusterCounters;
import io.aeron.driver.MediaDriver;
import io.aeron.driver.ThreadingMode;
import io.aeron.logbuffer.Header;
import org.agrona.CloseHelper;
import org.agrona.DirectBuffer;
import org.agrona.IoUtil;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.AtomicCounter;
import org.agrona.concurrent.status.CountersReader;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import io.tern.broker.ClusterLink;
import io.tern.broker.ClusterMembers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The directory's snapshot: a three-member directory holds names for two client sessions and takes a snapshot through
 * the leader's control toggle (as {@code ClusterTool snapshot} does); one more name is claimed after it. Then the two
 * followers restart, one at a time, each from its own files (a test hook keeps them: a node wipes them at start
 * otherwise), so each rebuilds its state from its snapshot and the log after it; then the leader stops, and one of the
 * restarted members leads. The clients, on a media driver of their own, stay connected throughout, so their sessions
 * (and the names they hold) live on. The names claimed before the snapshot can only have come back through it: a new
 * session is told them all, a claim of one is refused as taken, and a free name is still granted.
 * <p>
 * Not tested, because Aeron does not allow it: a restart of every member at once keeps no session (the first leader
 * after a start closes every session it restored), so every name is released then, as docs/cluster.md says.
 */
class NameDirectorySnapshotTest
{
    private static final long SESSION_TIMEOUT_MS = 6000;
    /** Keeps a member's log, archive and snapshots across a restart. */
    private static final DirectoryMember.TestHook KEEP_STATE = new DirectoryMember.TestHook()
    {
        @Override
        public void archive(final Archive.Context context)
        {
            context.deleteArchiveOnStart(false);
        }

        @Override
        public void consensus(final ConsensusModule.Context context)
        {
            context.deleteDirOnStart(false);
        }
    };

    private final DirectoryMember[] members = new DirectoryMember[3];
    /** A client of each member's media driver, to read its counters. */
    private final Aeron[] memberCounters = new Aeron[3];
    private final DirectoryClient[] clients = new DirectoryClient[3];
    private MediaDriver clientDriver;
    private ClusterMembers list;
    private File dir;

    @AfterEach
    void stop()
    {
        CloseHelper.closeAll(clients);
        CloseHelper.closeAll(memberCounters);
        CloseHelper.closeAll(members);
        CloseHelper.quietClose(clientDriver);
        if (null != dir)
        {
            IoUtil.delete(dir, true);
        }
    }

    @Test
    @Timeout(120)
    void shouldKeepTheHeldNamesInMembersRestartedFromTheSnapshot() throws Exception
    {
        dir = Files.createTempDirectory("tern-directory-snapshot").toFile();
        list = ClusterMembers.parse(ClusterPorts.members(3));
        for (int member = 0; member < 3; member++)
        {
            start(member);
        }
        clientDriver = MediaDriver.launchEmbedded(new MediaDriver.Context()
            .aeronDirectoryName(new File(dir, "clients").getAbsolutePath())
            .threadingMode(ThreadingMode.SHARED)
            .termBufferSparseFile(true)
            .dirDeleteOnStart(true)
            .dirDeleteOnShutdown(true));
        clients[0] = DirectoryClient.connect(0, clientDriver, list);
        clients[1] = DirectoryClient.connect(1, clientDriver, list);
        clients[0].claim(1, 0, "alice");
        clients[0].claim(2, 0, "ann");
        clients[1].claim(3, 1, "bob");
        hears(clients[0], "granted 1", "granted 2");
        hears(clients[1], "granted 3");

        final int leader = leader(-1);
        final AtomicCounter toggle = ClusterControl.findControlToggle(memberCounters[leader].countersReader(), 0);
        assertTrue(null != toggle && ClusterControl.ToggleState.SNAPSHOT.toggle(toggle), "the snapshot toggle");
        for (int member = 0; member < 3; member++)
        {
            final int m = member;
            awaitWithKeepAlives(() -> value(m, ConsensusModule.Configuration.SNAPSHOT_COUNTER_TYPE_ID) >= 1,
                "member " + m + " took the snapshot");
        }
        clients[1].claim(4, 1, "after"); // in the log after the snapshot: replayed on top of it
        hears(clients[1], "granted 4");

        // The followers restart from their files, one at a time (two of three keep the directory up meanwhile).
        for (int member = 0; member < 3; member++)
        {
            if (member != leader)
            {
                CloseHelper.closeAll(memberCounters[member], members[member]);
                start(member);
                final int m = member;
                // Its election over too (not only its role): a member whose start-up election is still on when the
                // leader stops, and which then wins it, closes every session (Aeron's leader start-up), as seen
                // when its first try to join the live log timed out.
                awaitWithKeepAlives(() -> ConsensusModule.State.ACTIVE ==
                    ConsensusModule.State.find(memberCounters[m].countersReader(), 0) &&
                    ClusterLink.ROLE_FOLLOWER == value(m, ConsensusModule.Configuration.CLUSTER_NODE_ROLE_TYPE_ID) &&
                    ElectionState.CLOSED.code() == value(m, ConsensusModule.Configuration.ELECTION_STATE_TYPE_ID),
                    "member " + m + " follows again after its restart");
            }
        }
        // The leader stops: a restarted member leads now.
        CloseHelper.closeAll(memberCounters[leader], members[leader]);
        memberCounters[leader] = null;
        members[leader] = null;
        final int newLeader = leader(leader);
        System.out.println("NameDirectorySnapshotTest: member " + leader + " led; members restarted from their " +
            "snapshots; member " + newLeader + " leads now");

        clients[2] = DirectoryClient.connect(2, clientDriver, list);
        final DirectoryClient late = clients[2];
        late.hello(2);
        hears(late, "held 0 alice", "held 0 ann", "held 1 bob", "held 1 after");
        late.claim(10, 2, "alice");
        late.claim(11, 2, "bob");
        late.claim(12, 2, "after");
        late.claim(13, 2, "carol");
        hears(late, "taken 10", "taken 11", "taken 12", "granted 13");
        // The first sessions lived through it all: they still claim.
        clients[0].claim(14, 0, "dora");
        hears(clients[0], "granted 14");
    }

    private void start(final int member)
    {
        members[member] = new DirectoryMember(list, member, new File(dir, "member-" + member),
            TimeUnit.MILLISECONDS.toNanos(SESSION_TIMEOUT_MS), new NameDirectory(), null,
            Throwable::printStackTrace, KEEP_STATE);
        memberCounters[member] = Aeron.connect(new Aeron.Context()
            .aeronDirectoryName(members[member].aeronDirectoryName())
            .errorHandler(DirectoryClient::note));
    }

    /** @return the member that leads (other than {@code not}), from the consensus modules' role counters. */
    private int leader(final int not)
    {
        final int[] leader = {-1};
        awaitWithKeepAlives(() ->
        {
            for (int member = 0; member < 3; member++)
            {
                if (member != not && null != memberCounters[member] &&
                    value(member, ConsensusModule.Configuration.CLUSTER_NODE_ROLE_TYPE_ID) == ClusterLink.ROLE_LEADER)
                {
                    leader[0] = member;
                    return true;
                }
            }
            return false;
        }, "a member leads");
        return leader[0];
    }

    /** @return the value of a member's counter of that type, or -1 when it has none. */
    private long value(final int member, final int typeId)
    {
        final CountersReader counters = memberCounters[member].countersReader();
        final int id = ClusterCounters.find(counters, typeId, 0);
        return Aeron.NULL_VALUE == id ? Aeron.NULL_VALUE : counters.getCounterValue(id);
    }

    /** Waits until the client has heard every one of {@code expected}, keeping every session alive meanwhile. */
    private void hears(final DirectoryClient client, final String... expected)
    {
        try
        {
            awaitWithKeepAlives(() -> client.events.containsAll(List.of(expected)), "node " + client.node +
                "'s session hears " + String.join(", ", expected));
        }
        catch (final AssertionError ex)
        {
            throw new AssertionError(ex.getMessage() + " (heard " + client.events + ")", ex);
        }
    }

    private void awaitWithKeepAlives(final java.util.function.BooleanSupplier condition, final String what)
    {
        TestNodes.await(() ->
        {
            for (final DirectoryClient client : clients)
            {
                if (null != client)
                {
                    client.poll();
                }
            }
            return condition.getAsBoolean();
        }, 30_000, what);
    }

    /**
     * A session of the directory's, on a member's media driver, speaking {@link DirectoryDescriptor}'s messages as a
     * node's cluster agent does, and recording what comes back. Test thread only.
     */
    private static final class DirectoryClient implements AutoCloseable, EgressListener
    {
        final int node;
        final Aeron aeron;
        final AeronCluster cluster;
        final List<String> events = new CopyOnWriteArrayList<>();
        private final UnsafeBuffer buffer = new UnsafeBuffer(new byte[DirectoryDescriptor.MAX_LENGTH]);
        private long lastKeepAliveNs = System.nanoTime();
        /** This session's claims are numbered from 1, as a node's agent numbers them. */
        private long nextSeq = 1;

        private DirectoryClient(final int node, final Aeron aeron, final AeronCluster cluster)
        {
            this.node = node;
            this.aeron = aeron;
            this.cluster = cluster;
        }

        /** Connects, retrying while the directory elects a leader. */
        static DirectoryClient connect(final int node, final MediaDriver driver, final ClusterMembers list)
        {
            // Not Aeron's default error handler, which exits the JVM when its driver goes away.
            final Aeron aeron = Aeron.connect(new Aeron.Context()
                .aeronDirectoryName(driver.aeronDirectoryName())
                .errorHandler(DirectoryClient::note));
            final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            final DirectoryClient[] made = new DirectoryClient[1];
            final EgressListener listener = (sessionId, timestamp, buffer, offset, length, header) ->
                made[0].onMessage(sessionId, timestamp, buffer, offset, length, header);
            while (true)
            {
                try
                {
                    final AeronCluster cluster = AeronCluster.connect(new AeronCluster.Context()
                        .aeron(aeron)
                        .ownsAeronClient(false)
                        .ingressChannel("aeron:udp?term-length=" + DirectoryMember.DIRECTORY_TERM_LENGTH)
                        .ingressEndpoints(DirectoryMember.ingressEndpoints(list))
                        .egressChannel("aeron:udp?endpoint=127.0.0.1:0")
                        .egressListener(listener)
                        .messageTimeoutNs(TimeUnit.SECONDS.toNanos(2)));
                    made[0] = new DirectoryClient(node, aeron, cluster);
                    return made[0];
                }
                catch (final RuntimeException ex)
                {
                    if (System.nanoTime() - deadlineNs > 0)
                    {
                        aeron.close();
                        throw ex;
                    }
                }
            }
        }

        static void note(final Throwable ex)
        {
            System.out.println("NameDirectorySnapshotTest: " + ex);
        }

        void claim(final long claimId, final int node, final String name)
        {
            buffer.putInt(DirectoryDescriptor.TYPE_OFFSET, DirectoryDescriptor.CLAIM);
            buffer.putLong(DirectoryDescriptor.CLAIM_ID_OFFSET, claimId);
            buffer.putLong(DirectoryDescriptor.CLAIM_SEQ_OFFSET, nextSeq++);
            buffer.putInt(DirectoryDescriptor.CLAIM_NODE_OFFSET, node);
            final int length = buffer.putStringWithoutLengthUtf8(DirectoryDescriptor.CLAIM_NAME_OFFSET, name);
            offer(DirectoryDescriptor.CLAIM_NAME_OFFSET + length);
        }

        void hello(final int node)
        {
            buffer.putInt(DirectoryDescriptor.TYPE_OFFSET, DirectoryDescriptor.HELLO);
            buffer.putInt(DirectoryDescriptor.NODE_OFFSET, node);
            offer(DirectoryDescriptor.HELLO_LENGTH);
        }

        private void offer(final int length)
        {
            TestNodes.await(() ->
            {
                poll();
                return cluster.offer(buffer, 0, length) > 0;
            }, 10_000, "the directory takes the message");
        }

        /** Polls the egress and keeps the session alive. */
        void poll()
        {
            cluster.pollEgress();
            if (System.nanoTime() - lastKeepAliveNs > TimeUnit.MILLISECONDS.toNanos(200))
            {
                cluster.sendKeepAlive();
                lastKeepAliveNs = System.nanoTime();
            }
        }

        @Override
        public void onMessage(final long clusterSessionId, final long timestamp, final DirectBuffer buffer,
            final int offset, final int length, final Header header)
        {
            final int type = buffer.getInt(offset + DirectoryDescriptor.TYPE_OFFSET);
            switch (type)
            {
                case DirectoryDescriptor.GRANTED:
                case DirectoryDescriptor.TAKEN:
                    events.add((type == DirectoryDescriptor.GRANTED ? "granted " : "taken ") +
                        buffer.getLong(offset + DirectoryDescriptor.CLAIM_ID_OFFSET));
                    break;
                case DirectoryDescriptor.HELD:
                case DirectoryDescriptor.SYNC_HELD:
                case DirectoryDescriptor.RELEASED:
                    events.add((type == DirectoryDescriptor.RELEASED ? "released " : "held ") +
                        buffer.getInt(offset + DirectoryDescriptor.NODE_OFFSET) + " " +
                        buffer.getStringWithoutLengthUtf8(offset + DirectoryDescriptor.NAME_OFFSET,
                            length - DirectoryDescriptor.NAME_OFFSET));
                    break;
                default:
                    break;
            }
        }

        @Override
        public void close()
        {
            CloseHelper.quietClose(cluster);
            CloseHelper.quietClose(aeron);
        }
    }
}
