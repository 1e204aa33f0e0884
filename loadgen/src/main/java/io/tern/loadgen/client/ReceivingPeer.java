/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.loadgen.client;

/**
 * The peer a frame arrived for, as the receiver needs to know it: which receiver it is and its name for reports. A
 * {@link PeerConnection} (NATS, Redis) or a tern client's peer ({@link TernConnections}). Immutable.
 */
interface ReceivingPeer
{
    /** @return the peer's receiver index, or -1 when it receives nothing (a sender). */
    int receiverIndex();

    /** @return the peer's name, for reports. */
    String name();
}
