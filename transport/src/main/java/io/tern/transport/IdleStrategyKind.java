/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.transport;

/**
 * How a transport agent (acceptor, reader, writer) waits when a duty cycle found no work.
 */
public enum IdleStrategyKind
{
    /** Block in the agent's selector until I/O is ready or another thread wakes it. Uses no CPU when idle. */
    BLOCK,
    /** Spin briefly, then yield, then block as {@link #BLOCK}: lower wake-up latency for a little CPU. */
    BACKOFF,
    /** Never block: poll the selector in a loop. Only for a machine with a core to spare per agent. */
    BUSY_SPIN
}
