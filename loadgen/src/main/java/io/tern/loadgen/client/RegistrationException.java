/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.loadgen.client;

import java.io.IOException;

/** Connecting or registering the peers failed; the message says which peer and why. */
public final class RegistrationException extends IOException
{
    public RegistrationException(final String message)
    {
        super(message);
    }

    public RegistrationException(final String message, final Throwable cause)
    {
        super(message, cause);
    }
}
