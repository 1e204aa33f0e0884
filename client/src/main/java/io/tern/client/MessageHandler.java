/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.client;

/**
 * Gets each message delivered to this client, in arrival order, on the client's I/O thread. The garbage-free way in:
 * the message is a flyweight over the read buffer, valid only during the call. A handler that blocks holds up this
 * client's reading and writing.
 */
@FunctionalInterface
public interface MessageHandler
{
    /** @param message the sender and the text; valid only during this call. */
    void onMessage(ReceivedMessage message);
}
