/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.client;

/** Told of each change of a client's {@link ConnectionState}, on the client's I/O thread. */
@FunctionalInterface
public interface ConnectionListener
{
    /**
     * @param client the client.
     * @param state  its new state.
     * @param reason why it left the previous one: the error reply that ended a connection, the exception, or null.
     */
    void onStateChange(TernClient client, ConnectionState state, Object reason);
}
