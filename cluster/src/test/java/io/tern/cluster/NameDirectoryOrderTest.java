/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.cluster;

import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;

import io.aeron.DirectBufferVector;
import io.aeron.cluster.codecs.CloseReason;
import io.aeron.cluster.service.ClientSession;
import io.aeron.cluster.service.Cluster;
import io.aeron.logbuffer.BufferClaim;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.NoOpIdleStrategy;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The directory's rules for what a change of leader may lose or repeat, on the service alone, driven from the test
 * thread (no Aeron): a session's claims and releases are applied once each, in their order; a claim sent again is
 * answered again from the state; one after a gap is dropped; every change is numbered, and PONG and the full list
 * tell the latest number.
 */
class NameDirectoryOrderTest
{
    private final NameDirectory directory = new NameDirectory();
    private final List<FakeSession> sessions = new ArrayList<>();
    private final UnsafeBuffer message = new UnsafeBuffer(new byte[DirectoryDescriptor.MAX_LENGTH]);
    private FakeSession a;
    private FakeSession b;

    @BeforeEach
    void start()
    {
        final Cluster cluster = (Cluster)Proxy.newProxyInstance(Cluster.class.getClassLoader(),
            new Class<?>[] {Cluster.class}, (proxy, method, args) ->
            {
                switch (method.getName())
                {
                    case "clientSessions":
                        return new ArrayList<ClientSession>(sessions);
                    case "idleStrategy":
                        return NoOpIdleStrategy.INSTANCE;
                    default:
                        throw new UnsupportedOperationException(method.getName());
                }
            });
        directory.onStart(cluster, null);
        a = open(1);
        b = open(2);
    }

    @Test
    @Timeout(10)
    void shouldApplyAClaimOnceAndAnswerItAgainWhenSentAgain()
    {
        claim(a, 1, 100, 0, "alice");
        claim(a, 1, 100, 0, "alice"); // the answer, or the leader that had it, was lost: sent again
        assertEquals(List.of("granted 100", "held 0 alice v1", "granted 100"), a.heard);
        assertEquals(List.of("held 0 alice v1"), b.heard, "one change, told once");

        claim(b, 1, 200, 1, "alice");
        claim(b, 1, 200, 1, "alice");
        assertEquals(List.of("held 0 alice v1", "taken 200", "taken 200"), b.heard);
    }

    @Test
    @Timeout(10)
    void shouldDropWhatComesAfterAGapUntilTheMissingOneIsSentAgain()
    {
        claim(a, 1, 100, 0, "alice");
        release(a, 3, "alice"); // 2 was lost: not applied, alice stays held
        ping(a, 3);
        assertEquals("pong applied 1 sent 3 version 1", a.last());

        claim(a, 2, 101, 0, "ann"); // sent again, in order
        release(a, 3, "alice");
        ping(a, 3);
        assertEquals(List.of("granted 100", "held 0 alice v1", "pong applied 1 sent 3 version 1", "granted 101",
            "held 0 ann v2", "released 0 alice v3", "pong applied 3 sent 3 version 3"), a.heard);
        release(a, 3, "alice"); // a release applied before is ignored, even sent again
        assertEquals("pong applied 3 sent 3 version 3", a.last());
    }

    @Test
    @Timeout(10)
    void shouldListEveryNameHeldWithTheLatestVersion()
    {
        claim(a, 1, 100, 0, "alice");
        claim(b, 1, 200, 1, "bob");
        claim(b, 2, 201, 1, "beth");
        release(b, 3, "beth");
        final FakeSession late = open(3);
        hello(late, 2);
        assertEquals(List.of("sync 0 alice v4", "sync 1 bob v4", "synced v4 count 2"), sorted(late.heard));
    }

    @Test
    @Timeout(10)
    void shouldFreeASessionsNamesAndForgetItsNumbersWhenItCloses()
    {
        claim(a, 1, 100, 0, "alice");
        directory.onSessionClose(a, 0, CloseReason.TIMEOUT);
        sessions.remove(a);
        assertEquals(List.of("held 0 alice v1", "released 0 alice v2"), b.heard);
        ping(a, 1);
        assertEquals("pong applied 0 sent 1 version 2", a.last());
    }

    private static List<String> sorted(final List<String> lines)
    {
        final List<String> copy = new ArrayList<>(lines);
        copy.sort(null);
        return copy;
    }

    private FakeSession open(final long id)
    {
        final FakeSession session = new FakeSession(id);
        sessions.add(session);
        directory.onSessionOpen(session, 0);
        return session;
    }

    private void claim(final FakeSession session, final long seq, final long claimId, final int node,
        final String name)
    {
        message.putInt(DirectoryDescriptor.TYPE_OFFSET, DirectoryDescriptor.CLAIM);
        message.putLong(DirectoryDescriptor.CLAIM_ID_OFFSET, claimId);
        message.putLong(DirectoryDescriptor.CLAIM_SEQ_OFFSET, seq);
        message.putInt(DirectoryDescriptor.CLAIM_NODE_OFFSET, node);
        final int length = message.putStringWithoutLengthUtf8(DirectoryDescriptor.CLAIM_NAME_OFFSET, name);
        deliver(session, DirectoryDescriptor.CLAIM_NAME_OFFSET + length);
    }

    private void release(final FakeSession session, final long seq, final String name)
    {
        message.putInt(DirectoryDescriptor.TYPE_OFFSET, DirectoryDescriptor.RELEASE);
        message.putLong(DirectoryDescriptor.RELEASE_SEQ_OFFSET, seq);
        message.putInt(DirectoryDescriptor.RELEASE_NODE_OFFSET, 0);
        final int length = message.putStringWithoutLengthUtf8(DirectoryDescriptor.RELEASE_NAME_OFFSET, name);
        deliver(session, DirectoryDescriptor.RELEASE_NAME_OFFSET + length);
    }

    private void ping(final FakeSession session, final long seqSent)
    {
        message.putInt(DirectoryDescriptor.TYPE_OFFSET, DirectoryDescriptor.PING);
        message.putLong(DirectoryDescriptor.PING_SEQ_SENT_OFFSET, seqSent);
        message.putLong(DirectoryDescriptor.PING_HELLOS_OFFSET, 1);
        deliver(session, DirectoryDescriptor.PING_LENGTH);
    }

    private void hello(final FakeSession session, final int node)
    {
        message.putInt(DirectoryDescriptor.TYPE_OFFSET, DirectoryDescriptor.HELLO);
        message.putInt(DirectoryDescriptor.NODE_OFFSET, node);
        deliver(session, DirectoryDescriptor.HELLO_LENGTH);
    }

    private void deliver(final FakeSession session, final int length)
    {
        directory.onSessionMessage(session, 0, message, 0, length, null);
    }

    /** A session that records what the directory offers it, as text. */
    private static final class FakeSession implements ClientSession
    {
        final long id;
        final List<String> heard = new ArrayList<>();

        FakeSession(final long id)
        {
            this.id = id;
        }

        String last()
        {
            return heard.get(heard.size() - 1);
        }

        @Override
        public long id()
        {
            return id;
        }

        @Override
        public int responseStreamId()
        {
            return 0;
        }

        @Override
        public String responseChannel()
        {
            return "";
        }

        @Override
        public byte[] encodedPrincipal()
        {
            return new byte[0];
        }

        @Override
        public void close()
        {
        }

        @Override
        public boolean isClosing()
        {
            return false;
        }

        @Override
        public long offer(final DirectBuffer buffer, final int offset, final int length)
        {
            final int type = buffer.getInt(offset + DirectoryDescriptor.TYPE_OFFSET);
            switch (type)
            {
                case DirectoryDescriptor.GRANTED:
                case DirectoryDescriptor.TAKEN:
                    heard.add((type == DirectoryDescriptor.GRANTED ? "granted " : "taken ") +
                        buffer.getLong(offset + DirectoryDescriptor.CLAIM_ID_OFFSET));
                    break;
                case DirectoryDescriptor.HELD:
                case DirectoryDescriptor.RELEASED:
                case DirectoryDescriptor.SYNC_HELD:
                    heard.add((type == DirectoryDescriptor.HELD ? "held " : type == DirectoryDescriptor.RELEASED ?
                        "released " : "sync ") + buffer.getInt(offset + DirectoryDescriptor.NODE_OFFSET) + " " +
                        buffer.getStringWithoutLengthUtf8(offset + DirectoryDescriptor.NAME_OFFSET,
                            length - DirectoryDescriptor.NAME_OFFSET) +
                        " v" + buffer.getLong(offset + DirectoryDescriptor.VERSION_OFFSET));
                    break;
                case DirectoryDescriptor.SYNCED:
                    heard.add("synced v" + buffer.getLong(offset + DirectoryDescriptor.SYNCED_VERSION_OFFSET) +
                        " count " + buffer.getInt(offset + DirectoryDescriptor.SYNCED_COUNT_OFFSET));
                    break;
                case DirectoryDescriptor.PONG:
                    heard.add("pong applied " + buffer.getLong(offset + DirectoryDescriptor.PONG_SEQ_APPLIED_OFFSET) +
                        " sent " + buffer.getLong(offset + DirectoryDescriptor.PONG_SEQ_SENT_OFFSET) +
                        " version " + buffer.getLong(offset + DirectoryDescriptor.PONG_VERSION_OFFSET));
                    break;
                default:
                    heard.add("type " + type);
                    break;
            }
            return 1;
        }

        @Override
        public long offer(final DirectBufferVector[] vectors)
        {
            throw new UnsupportedOperationException();
        }

        @Override
        public long tryClaim(final int length, final BufferClaim bufferClaim)
        {
            throw new UnsupportedOperationException();
        }
    }
}
