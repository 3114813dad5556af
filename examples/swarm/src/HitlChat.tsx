import { useMutation, useQuery } from "convex/react";
import { useEffect, useRef, useState } from "react";
import { api } from "../convex/_generated/api";
import type { Id } from "../convex/_generated/dataModel";

export function HitlChat({ sessionId }: { sessionId: Id<"hitlSessions"> }) {
  const [input, setInput] = useState("");
  const [error, setError] = useState<string | null>(null);
  const messagesEndRef = useRef<HTMLDivElement>(null);
  const messages = useQuery(api.queries.hitl.getMessages, { sessionId });
  const session = useQuery(api.queries.hitl.getSession, { sessionId });
  const sendMessage = useMutation(api.mutations.hitl.sendMessage);

  useEffect(() => {
    messagesEndRef.current?.scrollIntoView({ behavior: "smooth" });
  }, [messages]);

  const handleSend = async () => {
    const content = input.trim();
    if (content === "") return;
    setError(null);
    try {
      await sendMessage({ sessionId, role: "user", content });
      setInput("");
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  };

  if (messages === undefined || session === undefined)
    return <p className="muted">Loading…</p>;
  if (session === null)
    return <p className="muted">This session no longer exists.</p>;

  return (
    <div className="chat" data-testid="hitl-chat">
      <div className="messages">
        {messages.map((message) => (
          <div key={message._id} className={`message ${message.role}`}>
            <div>{message.content}</div>
            <time className="muted">
              {new Date(message.createdAt).toLocaleTimeString()}
            </time>
          </div>
        ))}
        <div ref={messagesEndRef} />
      </div>
      <form
        className="composer"
        onSubmit={(e) => {
          e.preventDefault();
          void handleSend();
        }}
      >
        <input
          type="text"
          value={input}
          onChange={(e) => setInput(e.target.value)}
          placeholder="Type your message..."
          aria-label="Message"
        />
        <button type="submit">Send</button>
      </form>
      {error !== null && <p className="error">{error}</p>}
    </div>
  );
}
