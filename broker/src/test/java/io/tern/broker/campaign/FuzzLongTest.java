/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.broker.campaign;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The fuzz campaign of {@link FuzzTest} for two minutes ({@code -Dtern.fuzz.long.seconds} to change). */
@Tag("slow")
class FuzzLongTest extends FuzzTest
{
    @Test
    @Timeout(600)
    void shouldServeWellBehavedPairsExactlyOnceInOrderWhileFuzzedForMinutes() throws Exception
    {
        fuzz(Integer.getInteger("tern.fuzz.long.seconds", 120));
    }
}
