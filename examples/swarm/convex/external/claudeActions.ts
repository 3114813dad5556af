import { v } from "convex/values";
import { internal } from "../_generated/api";
import { action } from "../_generated/server";

interface MessagesResponse {
  content: { type: string; text?: string }[];
}

function textOf(body: unknown): string {
  const content = (body as Partial<MessagesResponse>).content;
  const text = Array.isArray(content)
    ? content.find((block) => block.type === "text")?.text
    : undefined;
  if (text === undefined) throw new Error("Claude answered without text");
  return text;
}

/** Asks Claude for code for a ticket and logs a preview as the ticket's progress. */
export const generateCode = action({
  args: {
    ticketId: v.id("tickets"),
    prompt: v.string(),
    tenantId: v.optional(v.string()),
  },
  handler: async (ctx, { ticketId, prompt, tenantId }): Promise<string> => {
    const apiKey =
      process.env.ANTHROPIC_API_KEY ??
      (await ctx.runQuery(internal.queries.secrets.getValue, {
        type: "anthropic_api_key",
        tenantId,
      }));
    if (apiKey === null)
      throw new Error(
        "No Anthropic API key: set ANTHROPIC_API_KEY or add a secret",
      );
    const response = await fetch("https://api.anthropic.com/v1/messages", {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        "x-api-key": apiKey,
        "anthropic-version": "2023-06-01",
      },
      body: JSON.stringify({
        model: "claude-sonnet-4-20250514",
        max_tokens: 8192,
        messages: [{ role: "user", content: prompt }],
      }),
    });
    if (!response.ok)
      throw new Error(
        `Claude API error: ${response.status} ${response.statusText}`,
      );
    const text = textOf(await response.json());
    await ctx.runMutation(internal.mutations.tickets.logProgress, {
      ticketId,
      progressLog: `Code generated: ${text.substring(0, 100)}...`,
    });
    return text;
  },
});
