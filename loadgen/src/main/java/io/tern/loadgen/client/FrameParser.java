/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.loadgen.client;

/**
 * Splits what a server sent on one connection into frames, in place, without allocation.
 * <p>
 * One instance per reading thread (it may keep scratch state); made by {@link WireProtocol#newFrameParser()}.
 */
interface FrameParser
{
    /**
     * Parses every complete frame in {@code connection.readBuffer} (fill mode, bytes {@code [0, position)}), calls
     * the handler for each, and compacts the buffer so that only an incomplete last frame remains. A buffer full of
     * one frame that cannot complete is reported as corrupt and discarded.
     *
     * @param connection whose read buffer to parse.
     * @param handler    told about each frame.
     */
    void onBytes(PeerConnection connection, FrameHandler handler);
}
