/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.loadgen.client;

import org.junit.jupiter.api.Test;

import static io.tern.loadgen.client.StreamChecker.*;
import static org.junit.jupiter.api.Assertions.*;

class StreamCheckerTest
{
    @Test
    void shouldAcceptAnInOrderStreamAndLoseNothing()
    {
        final StreamChecker checker = new StreamChecker(2);
        for (long seq = 0; seq < 1000; seq++)
        {
            assertEquals(IN_ORDER, checker.onSequence(1, seq));
        }
        assertEquals(0, checker.lost(new long[]{0, 1000}));
        assertEquals(0, checker.duplicated());
        assertEquals(0, checker.outOfOrder());
    }

    @Test
    void shouldCountAGapAsLostAndTheMissingTailToo()
    {
        final StreamChecker checker = new StreamChecker(1);
        checker.onSequence(0, 0);
        assertEquals(GAP, checker.onSequence(0, 3)); // 1 and 2 missing
        checker.onSequence(0, 4);
        assertEquals(4, checker.lost(new long[]{7})); // 1, 2, then 5 and 6 never arrived
    }

    @Test
    void shouldCountALateArrivalAsOutOfOrderNotLost()
    {
        final StreamChecker checker = new StreamChecker(1);
        checker.onSequence(0, 0);
        checker.onSequence(0, 2);
        assertEquals(OUT_OF_ORDER, checker.onSequence(0, 1));
        assertEquals(1, checker.outOfOrder());
        assertEquals(0, checker.lost(new long[]{3}));
    }

    @Test
    void shouldCountARepeatAsDuplicated()
    {
        final StreamChecker checker = new StreamChecker(1);
        checker.onSequence(0, 0);
        checker.onSequence(0, 1);
        assertEquals(DUPLICATE, checker.onSequence(0, 1));
        assertEquals(DUPLICATE, checker.onSequence(0, 0));
        assertEquals(2, checker.duplicated());
        assertEquals(0, checker.lost(new long[]{2}));
    }

    @Test
    void shouldKeepStreamsApart()
    {
        final StreamChecker checker = new StreamChecker(2);
        checker.onSequence(0, 0);
        assertEquals(IN_ORDER, checker.onSequence(1, 0));
        assertEquals(0, checker.duplicated());
    }

    @Test
    void shouldCountAnArrivalOlderThanTheWindowAsOutOfOrderAndStillLost()
    {
        final StreamChecker checker = new StreamChecker(1);
        checker.onSequence(0, 0);
        checker.onSequence(0, 100); // 1..99 missing
        assertEquals(OUT_OF_ORDER, checker.onSequence(0, 1)); // 99 back: beyond the 64-bit window
        assertEquals(99, checker.lost(new long[]{101}));
    }
}
