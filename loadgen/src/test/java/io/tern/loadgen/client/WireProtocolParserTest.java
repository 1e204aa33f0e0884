/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.loadgen.client;

import io.tern.loadgen.workload.Workload;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Each target's parser, fed the same server output whole and then in every split (one read per fragment, from one
 * byte at a time up): frames split across reads are put back together, and the events are the same whatever the
 * split. Peers: {@code t-0} sends, {@code t-1} receives (the connection under test).
 */
class WireProtocolParserTest
{
    private static final String PAYLOAD = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    private static final Workload PAIRS = Workload.pairs(1, "t-");
    private static final Workload FANOUT = Workload.fanout(1, 2, "t-");

    /** Writes down every event, copying bytes out at once (the parser compacts the buffer after). */
    private static final class Recorder implements FrameHandler
    {
        final List<String> events = new ArrayList<>();

        @Override
        public void onMessage(final ReceivingPeer connection, final ByteBuffer buffer, final int senderPeer,
            final int textStart, final int textEnd)
        {
            events.add("message from " + senderPeer + ": " + WireProtocol.ascii(buffer, textStart, textEnd));
        }

        @Override
        public void onServerError(final ReceivingPeer connection, final ByteBuffer buffer, final int start,
            final int end, final boolean slowConsumer)
        {
            events.add("error" + (slowConsumer ? " (slow consumer)" : "") + ": " +
                WireProtocol.ascii(buffer, start, end));
        }

        @Override
        public void onCorrupt(final ReceivingPeer connection, final ByteBuffer buffer, final int start,
            final int end, final String reason)
        {
            events.add("corrupt: " + reason);
        }

        @Override
        public void onPing(final PeerConnection connection)
        {
            events.add("ping");
        }

        @Override
        public void onPong(final PeerConnection connection)
        {
            events.add("pong");
        }

        @Override
        public void onSubscribed(final PeerConnection connection, final ByteBuffer buffer, final int channelStart,
            final int channelEnd)
        {
            events.add("subscribed " + WireProtocol.ascii(buffer, channelStart, channelEnd));
        }

        @Override
        public void onPublishReply(final PeerConnection connection, final long subscribers)
        {
            events.add("reached " + subscribers);
        }
    }

    private static PeerConnection receiver(final Workload workload, final boolean publishOnly)
    {
        final int peer = workload.peerOfReceiver(0);
        return new PeerConnection(peer, workload.senderOfPeer(peer), 0, workload.peerName(peer), null, 4096, 64,
            publishOnly);
    }

    /** Feeds the bytes in fragments of {@code step} bytes, parsing after each, as the receiver does per read. */
    private static List<String> parse(
        final WireProtocol protocol, final Workload workload, final boolean publishOnly, final String input,
        final int step)
    {
        final byte[] bytes = input.getBytes(StandardCharsets.US_ASCII);
        final PeerConnection connection = receiver(workload, publishOnly);
        final FrameParser parser = protocol.newFrameParser();
        final Recorder recorder = new Recorder();
        for (int i = 0; i < bytes.length; i += step)
        {
            connection.readBuffer.put(bytes, i, Math.min(step, bytes.length - i));
            parser.onBytes(connection, recorder);
        }
        assertEquals(0, connection.readBuffer.position(), "every byte consumed, nothing left over");
        return recorder.events;
    }

    private static void assertSameInEverySplit(
        final WireProtocol protocol, final Workload workload, final boolean publishOnly, final String input,
        final List<String> expected)
    {
        for (int step = 1; step <= input.length(); step++)
        {
            assertEquals(expected, parse(protocol, workload, publishOnly, input, step), "fragments of " + step);
        }
    }

    @Test
    void shouldParseNatsFramesSplitAnywhere()
    {
        final String input =
            "INFO {\"server_id\":\"x\",\"proto\":1}\r\n" +
            "MSG t-1 1 64\r\n" + PAYLOAD + "\r\n" +
            "PING\r\n" +
            "+OK\r\n" +
            "MSG  t-1  7  reply.to  5\r\nprobe\r\n" +
            "-ERR 'Slow Consumer Detected'\r\n" +
            "MSG t-9 1 5\r\nhello\r\n" +
            "PONG\r\n" +
            "MSG t-1 1 0\r\n\r\n" +
            "BOGUS\r\n" +
            "MSG t-1 1 3\r\nabcXY\r\n" +
            "MSG t-1 1 x\r\n";
        assertSameInEverySplit(new NatsProtocol(PAIRS, 64, FanoutPublish.SHARED), PAIRS, false, input, List.of(
            "message from -2: " + PAYLOAD,
            "ping",
            "message from -2: probe",
            "error (slow consumer): -ERR 'Slow Consumer Detected'",
            "corrupt: NATS MSG on a subject this peer did not subscribe to",
            "pong",
            "message from -2: ",
            "corrupt: unexpected NATS frame",
            "corrupt: NATS MSG payload not followed by CRLF",
            "corrupt: unexpected NATS frame", // abcXY: what the bad length left
            "corrupt: malformed NATS MSG line"));
    }

    @Test
    void shouldAcceptNatsMessagesOnTheSharedFanoutSubjectOnlyForReceivers()
    {
        final String input = "MSG t-fanout 2 5\r\nprobe\r\nMSG t-fanout2 2 5\r\nprobe\r\n";
        assertSameInEverySplit(new NatsProtocol(FANOUT, 64, FanoutPublish.SHARED), FANOUT, false, input, List.of(
            "message from -2: probe", "corrupt: NATS MSG on a subject this peer did not subscribe to"));
        assertSameInEverySplit(new NatsProtocol(FANOUT, 64, FanoutPublish.PER_RECEIVER), FANOUT, false, input,
            List.of("corrupt: NATS MSG on a subject this peer did not subscribe to",
                "corrupt: NATS MSG on a subject this peer did not subscribe to"));
    }

    @Test
    void shouldParseRedisSubscriberRepliesSplitAnywhere()
    {
        final String input =
            "*3\r\n$9\r\nsubscribe\r\n$3\r\nt-1\r\n:1\r\n" +
            "*3\r\n$7\r\nmessage\r\n$3\r\nt-1\r\n$64\r\n" + PAYLOAD + "\r\n" +
            "-ERR oops\r\n" +
            "*3\r\n$7\r\nmessage\r\n$3\r\nt-9\r\n$2\r\nhi\r\n" +
            "*2\r\n$4\r\npong\r\n$0\r\n\r\n" +
            "*3\r\n$7\r\nmessage\r\n$3\r\nt-1\r\n$5\r\nprobe\r\n" +
            "+OK\r\n" +
            "*3\r\n$7\r\nmessage\r\n$3\r\nt-1\r\n$0\r\n\r\n";
        assertSameInEverySplit(new RedisProtocol(PAIRS, 64, FanoutPublish.SHARED), PAIRS, false, input, List.of(
            "subscribed t-1",
            "message from -2: " + PAYLOAD,
            "error: -ERR oops",
            "corrupt: Redis message on a channel this peer did not subscribe to",
            "corrupt: unexpected Redis reply",
            "message from -2: probe",
            "corrupt: not a RESP reply",
            "message from -2: "));
    }

    @Test
    void shouldParseRedisPublisherRepliesSplitAnywhere()
    {
        final String input = ":1\r\n:0\r\n+PONG\r\n-ERR wrong\r\n:12345\r\n$3\r\nabc\r\n:1\r\n";
        assertSameInEverySplit(new RedisProtocol(PAIRS, 64, FanoutPublish.SHARED), PAIRS, true, input, List.of(
            "reached 1", "reached 0", "pong", "error: -ERR wrong", "reached 12345", "corrupt: not a RESP reply",
            "corrupt: not a RESP reply", "reached 1"));
    }

    @Test
    void shouldFrameEachTargetsPublishAndCountItsBytes()
    {
        final NatsProtocol nats = new NatsProtocol(FANOUT, 64, FanoutPublish.PER_RECEIVER);
        final byte[][] natsFrames = nats.framePrefixesOfSender(0);
        assertEquals(2, natsFrames.length);
        assertEquals("PUB t-1 64\r\n", new String(natsFrames[0], StandardCharsets.US_ASCII));
        assertEquals("PUB t-2 64\r\n", new String(natsFrames[1], StandardCharsets.US_ASCII));
        assertEquals(2 * ("PUB t-1 64\r\n".length() + 64 + 2), nats.maxMessageBytes());

        final RedisProtocol redis = new RedisProtocol(FANOUT, 64, FanoutPublish.SHARED);
        final byte[][] redisFrames = redis.framePrefixesOfSender(0);
        assertEquals(1, redisFrames.length);
        assertEquals("*3\r\n$7\r\nPUBLISH\r\n$8\r\nt-fanout\r\n$64\r\n",
            new String(redisFrames[0], StandardCharsets.US_ASCII));
        assertEquals(2, redis.subscribersPerPublish());

        // tern: the one line the client sends for all K receivers
        assertEquals("t-1, t-2: ", new String(FANOUT.destinationsOfSender(0).prefixBytes(), StandardCharsets.US_ASCII));
    }

    @Test
    void shouldFindTheFirstByteAtEveryPositionInEitherByteOrder()
    {
        for (final ByteOrder order : new ByteOrder[]{ByteOrder.BIG_ENDIAN, ByteOrder.LITTLE_ENDIAN})
        {
            final ByteBuffer buffer = ByteBuffer.allocateDirect(40).order(order);
            for (int from = 0; from < 9; from++)
            {
                for (int at = from; at < 40; at++)
                {
                    for (int i = 0; i < 40; i++)
                    {
                        // bytes next to '\n' in value, so a carry or borrow across bytes would show
                        buffer.put(i, (byte)(i % 3 == 0 ? 0x0B : i % 3 == 1 ? 0x09 : 0x8A));
                    }
                    buffer.put(at, (byte)'\n');
                    buffer.put(39, (byte)'\n'); // a later one must not win
                    assertEquals(at, WireProtocol.indexOf(buffer, from, 40, (byte)'\n'), order + " from " + from);
                    assertEquals(at < 39 ? at : -1, WireProtocol.indexOf(buffer, from, 39, (byte)'\n'),
                        order + " limit 39, from " + from);
                }
            }
            assertEquals(-1, WireProtocol.indexOf(buffer, 5, 5, (byte)'\n'));
        }
    }
}
