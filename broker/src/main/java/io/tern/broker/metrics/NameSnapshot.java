/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.broker.metrics;

/**
 * One {@code /clusterz} request's names: every name this node knows to be held in the cluster and the node holding
 * it (its own granted peers and the replica of the other nodes' names), copied by the broker thread into arrays the
 * requesting admin thread made, then published with a release store ({@link #complete()}), as {@link PeerSnapshot}.
 */
public final class NameSnapshot
{
    final int capacity;
    /** Each name (its {@code toString()} is the text, made on the admin thread). */
    final Object[] names;
    final int[] nodes;
    int count;
    int total;
    final long createdNs = System.nanoTime();
    private volatile boolean complete;

    /** @param capacity names to make room for; names beyond it are counted in {@link #total()} only. */
    NameSnapshot(final int capacity)
    {
        this.capacity = capacity;
        names = new Object[capacity];
        nodes = new int[capacity];
    }

    /** Adds one name held on {@code node}. Broker thread only, garbage-free. */
    public void add(final Object name, final int node)
    {
        total++;
        if (count < capacity)
        {
            names[count] = name;
            nodes[count] = node;
            count++;
        }
    }

    /** Publishes the names to the admin thread. Broker thread only. */
    public void complete()
    {
        complete = true;
    }

    boolean isComplete()
    {
        return complete;
    }

    /** @return names the broker thread saw, including those beyond the capacity. */
    int total()
    {
        return total;
    }
}
