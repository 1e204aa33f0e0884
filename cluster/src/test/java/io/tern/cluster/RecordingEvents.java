/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.cluster;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import org.agrona.DirectBuffer;

import io.tern.broker.ClusterEvents;

/** What a node's cluster agent hands over, as text lines, for tests to wait on. Any thread. */
final class RecordingEvents implements ClusterEvents
{
    final List<String> lines = new CopyOnWriteArrayList<>();

    @Override
    public boolean onClaimResult(final long correlationId, final int result)
    {
        lines.add((result == CLAIM_GRANTED ? "granted " : result == CLAIM_TAKEN ? "taken " : "unavailable ") +
            correlationId);
        return true;
    }

    @Override
    public boolean onNameHeld(final int node, final DirectBuffer name, final int offset, final int length)
    {
        lines.add("held " + node + " " + name.getStringWithoutLengthUtf8(offset, length));
        return true;
    }

    @Override
    public boolean onNameReleased(final int node, final DirectBuffer name, final int offset, final int length)
    {
        lines.add("released " + node + " " + name.getStringWithoutLengthUtf8(offset, length));
        return true;
    }

    @Override
    public boolean onNodeFrame(final int fromNode, final DirectBuffer frame, final int offset, final int length)
    {
        final byte[] bytes = new byte[length];
        frame.getBytes(offset, bytes);
        lines.add("frame " + fromNode + " " + new String(bytes, StandardCharsets.ISO_8859_1));
        return true;
    }

    @Override
    public boolean onClusterState(final int state)
    {
        lines.add(state == CLUSTER_CONNECTED ? "connected" : "lost");
        return true;
    }

    @Override
    public void onBatchEnd()
    {
    }

    boolean has(final String line)
    {
        return lines.contains(line);
    }
}
