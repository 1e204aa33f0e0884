/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.broker;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import io.tern.transport.Connection;
import io.tern.transport.InProcessTransport;
import io.tern.transport.InboundBatch;
import io.tern.transport.LineArena;
import io.tern.transport.Outbound;
import io.tern.transport.Transport;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The router's close decisions, driven by hand on the test thread (no sockets): when an error reply that should be
 * flushed before closing finds the peer's outbound ring full, the peer is a slow consumer, and its backlog must be
 * discarded at once rather than flushed for up to the flush deadline.
 */
@Timeout(30)
class RouterCloseTest
{
    private final BrokerConfig config = BenchmarkSupport.defaults();
    private Transport transport;
    private Router router;
    private Connection alice;
    /** Holds alice's NEW_PEER line, not yet routed. */
    private InboundBatch batch;

    @BeforeEach
    void setUp() throws IOException
    {
        transport = BenchmarkSupport.unstartedTransport(config, batch -> false);
        router = BenchmarkSupport.router(transport, config);
        alice = BenchmarkSupport.connection(config, 0);
        batch = InProcessTransport.batch(new LineArena(config.get(Settings.INBOUND_BUFFER_BYTES)), 2);
        InProcessTransport.addLine(batch, InboundBatch.NEW_PEER, alice, BenchmarkSupport.SENDER_LINE,
            System.nanoTime());
    }

    @AfterEach
    void tearDown()
    {
        if (null != transport)
        {
            transport.close();
        }
    }

    @ParameterizedTest(name = "[{index}] {1}")
    @MethodSource("closeReasonsWithAReply")
    void shouldDiscardRatherThanFlushWhenTheReplyDoesNotFit(final int reason, final String description)
    {
        route(router, batch);

        // alice stopped reading: her ring is full to within less than any reply (as the broker thread fills it).
        final Outbound out = alice.outbound();
        final byte[] filler = new byte[8];
        while (out.tryBegin(filler.length))
        {
            out.append(filler);
            out.commit();
        }

        InProcessTransport.clear(batch);
        InProcessTransport.addDisconnect(batch, alice, reason);
        route(router, batch);
        assertEquals(1, router.slowConsumerDisconnects());
        assertEquals(Connection.CloseMode.SLOW_CONSUMER, InProcessTransport.closeMode(alice));
    }

    static Stream<Arguments> closeReasonsWithAReply()
    {
        return Stream.of(
            Arguments.of(InboundBatch.REASON_LINE_TOO_LONG, "the error reply (line too long)"),
            Arguments.of(InboundBatch.REASON_NAME_TIMEOUT, "the name timeout reply"));
    }

    @Test
    void shouldFlushTheErrorReplyWhenItFits()
    {
        InProcessTransport.addDisconnect(batch, alice, InboundBatch.REASON_LINE_TOO_LONG);
        route(router, batch);

        assertEquals(Connection.CloseMode.FLUSH, InProcessTransport.closeMode(alice));
        assertEquals(0, router.slowConsumerDisconnects());
    }

    @Test
    void shouldDropALateEventFromAClosedConnectionWhoseSlotANewOneHasTaken()
    {
        InProcessTransport.addDisconnect(batch, alice, InboundBatch.REASON_LINE_TOO_LONG);
        route(router, batch);
        assertEquals(Connection.CloseMode.FLUSH, InProcessTransport.closeMode(alice));

        // alice's writer closed her and bob's connection got her memory, so her slot; her reader's disconnect is late.
        final Connection bob = BenchmarkSupport.connection(config, 0);
        final InboundBatch next = InProcessTransport.batch(new LineArena(config.get(Settings.INBOUND_BUFFER_BYTES)), 3);
        InProcessTransport.addLine(next, InboundBatch.NEW_PEER, bob, "bob".getBytes(StandardCharsets.US_ASCII),
            System.nanoTime());
        InProcessTransport.addDisconnect(next, alice, InboundBatch.REASON_CLOSED);
        InProcessTransport.addLine(next, InboundBatch.MESSAGE, bob, "bob: hi".getBytes(StandardCharsets.US_ASCII),
            System.nanoTime());
        route(router, next);

        assertEquals(Connection.CloseMode.NONE, InProcessTransport.closeMode(bob));
        assertEquals(Connection.CloseMode.FLUSH, InProcessTransport.closeMode(alice));
        assertEquals(1, router.messagesDelivered());
        assertEquals("from bob: hi\n".length(), InProcessTransport.drain(bob));
    }

    private static void route(final Router router, final InboundBatch batch)
    {
        final InboundEvent event = new InboundEvent();
        for (int i = 0; i < batch.size(); i++)
        {
            event.set(batch, i);
            router.onEvent(event, i, i == batch.size() - 1);
        }
    }
}
