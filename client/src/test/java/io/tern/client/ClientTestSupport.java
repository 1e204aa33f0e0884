/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.client;

import io.tern.broker.Broker;
import io.tern.broker.BrokerConfig;
import org.junit.jupiter.api.AfterEach;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A real broker in-process on an ephemeral loopback port, clients that record what reaches their handlers, and
 * waiting with a deadline. Everything made here is closed after each test. Test thread only.
 */
abstract class ClientTestSupport
{
    static final Duration WAIT = Duration.ofSeconds(10);

    protected Broker broker;
    private final List<AutoCloseable> closeables = new ArrayList<>();

    /** What one client's handlers got, as text, in order. */
    static final class Recorded
    {
        final BlockingQueue<String> messages = new LinkedBlockingQueue<>();
        final BlockingQueue<ErrorRecord> errors = new LinkedBlockingQueue<>();
        final BlockingQueue<ConnectionState> states = new LinkedBlockingQueue<>();

        String nextMessage() throws InterruptedException
        {
            final String message = messages.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS);
            assertNotNull(message, "no message within " + WAIT);
            return message;
        }

        ErrorRecord nextError() throws InterruptedException
        {
            final ErrorRecord error = errors.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS);
            assertNotNull(error, "no error within " + WAIT);
            return error;
        }

        void awaitState(final ConnectionState state) throws InterruptedException
        {
            final long deadlineNs = System.nanoTime() + WAIT.toNanos();
            while (System.nanoTime() - deadlineNs < 0)
            {
                final ConnectionState next = states.poll(10, TimeUnit.MILLISECONDS);
                if (next == state)
                {
                    return;
                }
            }
            throw new AssertionError("state " + state + " not reached within " + WAIT);
        }
    }

    /** One error reply as its handler saw it. */
    record ErrorRecord(ErrorKind kind, long sendId, String subject, long limit, String line)
    {
    }

    Broker startBroker(final BrokerConfig config) throws IOException
    {
        broker = Broker.launch(config);
        return broker;
    }

    int port()
    {
        return broker.localAddress().getPort();
    }

    /** A config for this test's broker, recording into {@code recorded}. */
    TernClientConfig config(final String name, final Recorded recorded)
    {
        return new TernClientConfig().host("127.0.0.1").port(port()).name(name)
            .onMessage((from, text) -> recorded.messages.add(from + ": " + text))
            .errorHandler(error -> recorded.errors.add(new ErrorRecord(error.kind(), error.sendId(),
                error.subjectAsString(), error.limit(), error.textAsString())))
            .connectionListener((client, state, reason) -> recorded.states.add(state));
    }

    TernClient connect(final TernClientConfig config) throws TernClientException
    {
        return track(TernClient.connect(config));
    }

    <T extends AutoCloseable> T track(final T closeable)
    {
        closeables.add(closeable);
        return closeable;
    }

    static void await(final BooleanSupplier condition, final String what)
    {
        final long deadlineNs = System.nanoTime() + WAIT.toNanos();
        while (!condition.getAsBoolean())
        {
            assertTrue(System.nanoTime() - deadlineNs < 0, "not within " + WAIT + ": " + what);
            Thread.onSpinWait();
            Thread.yield();
        }
    }

    @AfterEach
    void closeEverything() throws Exception
    {
        for (int i = closeables.size() - 1; i >= 0; i--)
        {
            closeables.get(i).close();
        }
        if (null != broker)
        {
            broker.close();
        }
    }
}
