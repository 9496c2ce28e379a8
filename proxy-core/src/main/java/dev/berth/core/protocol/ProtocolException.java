package dev.berth.core.protocol;

import io.netty.handler.codec.DecoderException;

/** A client or server broke the wire protocol; the connection cannot continue. */
public class ProtocolException extends DecoderException {
    public ProtocolException(String message) {
        super(message);
    }
}
