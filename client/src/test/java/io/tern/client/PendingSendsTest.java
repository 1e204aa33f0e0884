/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.client;

import io.tern.transport.Protocol;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** How replies are tied to sends: the oldest kept send that fits, sync echoes, and the bounds. */
class PendingSendsTest
{
    private final PendingSends pending = new PendingSends(8, 64);
    private final LineDecoder decoder = new LineDecoder();
    private final ErrorReply[] decoded = new ErrorReply[1];

    private void line(final long id, final String destinations, final String text)
    {
        line(id, Destinations.parse(destinations), text);
    }

    private void line(final long id, final Destinations to, final String text)
    {
        final byte[] line = (new String(to.prefixBytes(), StandardCharsets.UTF_8) + text)
            .getBytes(StandardCharsets.UTF_8);
        pending.onLine(id, new UnsafeBuffer(line), 0, to.prefixLength(), line.length, to.count(),
            PendingSends.CONTROL_UNKNOWN, to);
    }

    private long reply(final String errorLine)
    {
        final ByteBuffer buffer = ByteBuffer.wrap(errorLine.getBytes(StandardCharsets.UTF_8));
        decoder.onLine(buffer, 0, buffer.capacity(), new LineDecoder.Handler()
        {
            @Override
            public void onMessage(final ReceivedMessage message)
            {
            }

            @Override
            public void onError(final ErrorReply error)
            {
                decoded[0] = error;
            }

            @Override
            public void onMalformedLine(final ByteBuffer b, final int start, final int end)
            {
            }
        });
        return pending.attribute(decoded[0]);
    }

    private static String noPeer(final String name)
    {
        return Protocol.NO_PEER_PREFIX + name + Protocol.NO_PEER_SUFFIX;
    }

    @Test
    @Timeout(10)
    void shouldTieEachReplyToTheOldestSendItFitsAndForgetTheSendsBefore()
    {
        line(1, "bob, carol", "one");
        line(2, "dave, carol, dave", "two");
        line(3, "erin", "bell\u0007");
        line(4, "a, b, c, d", "four");
        assertEquals(1, reply(noPeer("carol")));
        assertEquals(2, reply(noPeer("dave")));   // send 1 lists no dave: done
        assertEquals(2, reply(noPeer("carol")));
        assertEquals(2, reply(noPeer("dave")));   // the second listing
        assertEquals(ErrorReply.NO_SEND, reply(noPeer("dave"))); // no later send lists dave
        assertEquals(3, reply(Protocol.CONTROL_IN_LINE));
        assertEquals(4, reply(Protocol.tooManyDestinations(3)));
        assertEquals(0, pending.size());
    }

    @Test
    @Timeout(10)
    void shouldTieNoReplyToASendBehindASyncWhoseEchoHasNotCome()
    {
        line(1, "bob", "before the sync");
        pending.onSync();
        line(2, "bob", "after it");
        pending.onSyncEchoed(); // send 1 is done: a reply for bob now is send 2's
        assertEquals(2, reply(noPeer("bob")));

        line(3, "carol", "x");
        pending.onSync();
        line(4, "dave", "y");
        // dave's reply cannot come before the sync's echo: send 4 is behind it.
        assertEquals(ErrorReply.NO_SEND, reply(noPeer("dave")));
        assertEquals(3, reply(noPeer("carol")));
    }

    @Test
    @Timeout(10)
    void shouldForgetTheOldestSendsPastItsBounds()
    {
        for (int id = 1; id <= 9; id++)
        {
            line(id, "p" + id, "x");
        }
        assertEquals(ErrorReply.NO_SEND, reply(noPeer("p1"))); // 8 kept: send 1 was forgotten
        assertEquals(2, reply(noPeer("p2")));

        // 64 bytes of destination lists: three lists of 20 fit, a fourth pushes the oldest out.
        pending.clear();
        final String n = "n".repeat(16);
        line(10, n + "a", "x");
        line(11, n + "b", "x");
        line(12, n + "c", "x");
        line(13, n + "d", "x");
        assertEquals(ErrorReply.NO_SEND, reply(noPeer(n + "a")));
        assertEquals(11, reply(noPeer(n + "b")));
    }

    @Test
    @Timeout(10)
    void shouldTieRepliesToSendsThatShareTheirDestinationsNames()
    {
        final Destinations bobCarol = Destinations.parse("bob, carol");
        line(1, bobCarol, "a");
        line(2, bobCarol, "b");
        line(3, "dave", "c");
        line(4, bobCarol, "d");
        assertEquals(1, reply(noPeer("carol")));
        assertEquals(2, reply(noPeer("bob")));   // send 1's bob came before its carol: answered already
        assertEquals(2, reply(noPeer("carol")));
        assertEquals(3, reply(noPeer("dave")));
        assertEquals(4, reply(noPeer("bob")));
        assertEquals(4, reply(noPeer("carol")));

    }

    @Test
    @Timeout(10)
    void shouldForgetSendsSharingNamesOnlyWhenTheirOneCopyIsOverwritten()
    {
        // Twenty sends to one Destinations keep one copy of its names, bytes 0-4; 8 sends are kept.
        final Destinations bob = Destinations.parse("bob");
        for (int id = 1; id <= 20; id++)
        {
            line(id, bob, "x");
        }
        assertEquals(13, reply(noPeer("bob")));
        assertEquals(14, reply(noPeer("bob")));

        // Lists of 30 bytes: the first fits after bob's copy; the second fits only over it, so bob's sends go.
        final String n = "n".repeat(27);
        line(21, n + "a", "x");
        assertEquals(15, reply(noPeer("bob")));
        line(22, n + "b", "x");
        assertEquals(ErrorReply.NO_SEND, reply(noPeer("bob")));
        assertEquals(21, reply(noPeer(n + "a")));
        assertEquals(22, reply(noPeer(n + "b")));
    }
}
