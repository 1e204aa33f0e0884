/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.client;

/**
 * Gets each {@code error:} line the broker sends this client, typed, in arrival order, on the client's I/O thread.
 */
@FunctionalInterface
public interface ErrorHandler
{
    /** @param error the reply; valid only during this call. */
    void onError(ErrorReply error);
}
