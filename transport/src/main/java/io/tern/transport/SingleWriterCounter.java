/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.transport;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A counter with exactly one writing thread and any number of reading threads, padded to its own cache lines so the
 * writer's updates do not invalidate its neighbours' (Agrona's {@code AtomicCounter} idiom without a counters file).
 * <p>
 * The writer updates with a plain read and a release store (no lock, no CAS): cheap enough for the hot path, and
 * garbage-free. Readers see a value that was true a moment ago, never a torn one.
 */
public final class SingleWriterCounter extends SingleWriterCounterRhsPadding
{
    private static final VarHandle VALUE;

    static
    {
        try
        {
            VALUE = MethodHandles.lookup().findVarHandle(SingleWriterCounterValue.class, "value", long.class);
        }
        catch (final ReflectiveOperationException ex)
        {
            throw new ExceptionInInitializerError(ex);
        }
    }

    /** Adds one. Owning thread only. */
    public void increment()
    {
        VALUE.setRelease(this, value + 1);
    }

    /**
     * Adds {@code delta}. Owning thread only.
     *
     * @param delta amount to add.
     */
    public void add(final long delta)
    {
        VALUE.setRelease(this, value + delta);
    }

    /**
     * Sets the value, for a gauge. Owning thread only.
     *
     * @param newValue the new value.
     */
    public void set(final long newValue)
    {
        VALUE.setRelease(this, newValue);
    }

    /** @return the latest value published by the owner. Any thread. */
    public long get()
    {
        return (long)VALUE.getAcquire(this);
    }

    @Override
    public String toString()
    {
        return Long.toString(get());
    }
}

@SuppressWarnings("unused")
abstract class SingleWriterCounterLhsPadding
{
    byte p000, p001, p002, p003, p004, p005, p006, p007, p008, p009, p010, p011, p012, p013, p014, p015;
    byte p016, p017, p018, p019, p020, p021, p022, p023, p024, p025, p026, p027, p028, p029, p030, p031;
    byte p032, p033, p034, p035, p036, p037, p038, p039, p040, p041, p042, p043, p044, p045, p046, p047;
    byte p048, p049, p050, p051, p052, p053, p054, p055, p056, p057, p058, p059, p060, p061, p062, p063;
}

abstract class SingleWriterCounterValue extends SingleWriterCounterLhsPadding
{
    long value;
}

@SuppressWarnings("unused")
abstract class SingleWriterCounterRhsPadding extends SingleWriterCounterValue
{
    byte p064, p065, p066, p067, p068, p069, p070, p071, p072, p073, p074, p075, p076, p077, p078, p079;
    byte p080, p081, p082, p083, p084, p085, p086, p087, p088, p089, p090, p091, p092, p093, p094, p095;
    byte p096, p097, p098, p099, p100, p101, p102, p103, p104, p105, p106, p107, p108, p109, p110, p111;
    byte p112, p113, p114, p115, p116, p117, p118, p119, p120, p121, p122, p123, p124, p125, p126, p127;
}
