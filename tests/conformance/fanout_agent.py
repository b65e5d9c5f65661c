# Seed 004's AI agent: three independent fetches (80, 50 and 30 ms) then an
# LLM call (150 ms), first awaited one after another, then the fetches
# fanned out with gather. Fetches finish in deadline order; times are printed
# as comparisons, never as raw numbers, so the output is deterministic.
import asyncio


async def fetch_vector_context(query, delay):
    await asyncio.sleep(delay)
    print("fetched vector context")
    return f"context: top docs for '{query}'"


async def fetch_user_history(user_id, delay):
    await asyncio.sleep(delay)
    print("fetched user history")
    return f"history: last 5 queries for user {user_id}"


async def fetch_user_preferences(user_id, delay):
    await asyncio.sleep(delay)
    print("fetched user preferences")
    return f"preferences: for user {user_id}"


async def call_llm(prompt):
    await asyncio.sleep(0.150)
    return f"LLM response to: {prompt}"


async def handle_query_sequential(user_id, query):
    vector_context = await fetch_vector_context(query, 0.080)
    user_history = await fetch_user_history(user_id, 0.050)
    user_preferences = await fetch_user_preferences(user_id, 0.030)
    prompt = f"{query}\n{vector_context}\n{user_history}\n{user_preferences}"
    return await call_llm(prompt)


async def handle_query(user_id, query):
    vector_context, user_history, user_preferences = await asyncio.gather(
        fetch_vector_context(query, 0.080),
        fetch_user_history(user_id, 0.050),
        fetch_user_preferences(user_id, 0.030),
    )
    prompt = f"{query}\n{vector_context}\n{user_history}\n{user_preferences}"
    return await call_llm(prompt)


async def main():
    loop = asyncio.get_running_loop()
    print("-- sequential")
    start = loop.time()
    response = await handle_query_sequential("user-42", "how do I profile async Python?")
    sequential = loop.time() - start
    print(response)
    print(f"took at least the sum of the delays: {sequential >= 0.310}")
    print("-- concurrent")
    start = loop.time()
    response = await handle_query("user-42", "how do I profile async Python?")
    concurrent = loop.time() - start
    print(response)
    print(f"took at least the slowest fetch plus the llm: {concurrent >= 0.230}")
    print(f"took less than the sum of the delays: {concurrent < 0.310}")
    print(f"faster than sequential: {concurrent < sequential}")


asyncio.run(main())
