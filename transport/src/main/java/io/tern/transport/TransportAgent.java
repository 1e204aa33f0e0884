/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.transport;

import org.agrona.concurrent.Agent;
import org.agrona.concurrent.IdleStrategy;

/**
 * One of the transport's duty cycles with the idle strategy it needs (a transport agent blocks in its own selector),
 * for the caller to run in an {@code AgentRunner}: the transport builds its agents but never decides which threads
 * run them. The agent closes what it opened (selector, connections, queues) in its {@code onClose}.
 *
 * @param agent        the duty cycle.
 * @param idleStrategy how its thread waits for work.
 */
public record TransportAgent(Agent agent, IdleStrategy idleStrategy)
{
}
