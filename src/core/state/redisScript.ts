/**
 * The shared state in Redis: one Lua script, run atomically by the server, with the same rules as
 * `StateModel` and `resilience/circuitBreaker.ts` (keep them in step; `test/unit/state/contract.test.ts`
 * runs the same scenarios against both). Time is the server's (`TIME`), so machines with skewed clocks
 * still agree on windows, timeouts and leases.
 *
 * KEYS[1] is `<prefix>keys` (the set of breaker and limiter keys); every other key starts with the same
 * `<prefix>`, which carries a hash tag so they all live in one cluster slot.
 * ARGV: prefix, op, JSON arguments. Returns JSON.
 */
export const STATE_SCRIPT = String.raw`
local P = ARGV[1]
local op = ARGV[2]
local a = cjson.decode(ARGV[3])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local null = cjson.null

local function num(v, d) if v == nil or v == false or v == '' then return d end return tonumber(v) end

local function brget(key)
  local h = redis.call('HGETALL', P .. 'br:' .. key)
  local b = {}
  for i = 1, #h, 2 do b[h[i]] = h[i + 1] end
  if b.state == nil then b = { state = 'closed', cf = 0, calls = 0, failures = 0, successes = 0, totalMs = 0, probeMaxMs = 30000 } end
  return b
end

local function brput(key, b)
  local hk = P .. 'br:' .. key
  local flat = {}
  for k, v in pairs(b) do flat[#flat + 1] = k; flat[#flat + 1] = tostring(v) end
  redis.call('DEL', hk)
  redis.call('HSET', hk, unpack(flat))
  redis.call('SADD', KEYS[1], key)
end

local function snap(b)
  if b.state == 'closed' then return { state = 'closed', consecutiveFailures = num(b.cf, 0) } end
  if b.state == 'open' then return { state = 'open', openedAt = num(b.openedAt, 0), retryAt = num(b.retryAt, 0), reason = b.reason or '' } end
  return { state = 'half_open', openedAt = num(b.openedAt, 0), probeStartedAt = num(b.probeStartedAt, 0), reason = b.reason or '', probe = b.probe, probeUntil = num(b.probeUntil, nil) }
end

local function setclosed(b)
  b.state = 'closed'; b.cf = 0; b.openedAt = nil; b.retryAt = nil; b.reason = nil; b.probe = nil; b.probeStartedAt = nil; b.probeUntil = nil
end

local function setopen(b, openedAt, retryAt, reason)
  b.state = 'open'; b.cf = 0; b.openedAt = openedAt; b.retryAt = retryAt; b.reason = reason; b.probe = nil; b.probeStartedAt = nil; b.probeUntil = nil
end

-- breakerCheck: ok, permit-or-state, retryAt
local function check(b, r)
  if not r.enabled or b.state == 'closed' then return true, 'normal' end
  if b.state == 'open' then
    if now < num(b.retryAt, 0) then return false, 'open', num(b.retryAt, 0) end
    return true, 'probe'
  end
  local untl = num(b.probeUntil, num(b.probeStartedAt, 0) + r.probeMaxMs)
  if now < untl then return false, 'half_open', untl end
  return true, 'probe'
end

local transitions = {}
local function moved(key, from, b, reason)
  if from ~= b.state then transitions[#transitions + 1] = { key = key, from = from, to = b.state, snap = snap(b), at = now, reason = reason } end
end

-- breakerGate: takes the probe when due
local function gate(key, b, r, claim)
  local ok, p, ra = check(b, r)
  if not ok or p == 'normal' then return ok, p, ra end
  local from = b.state
  b.state = 'half_open'; b.probeStartedAt = now; b.probe = claim; b.probeUntil = now + r.probeMaxMs; b.retryAt = nil
  moved(key, from, b)
  return true, 'probe'
end

local function after(key, b, r, claim, result, reason)
  local from = b.state
  if not r.enabled then
    if b.state ~= 'closed' then setclosed(b) end
  elseif b.state == 'half_open' and b.probe == claim then
    if result == 'success' or result == 'answered' then setclosed(b)
    elseif result == 'failure' then setopen(b, now, now + r.openMs, 'probe failed: ' .. reason)
    else setopen(b, num(b.openedAt, now), now, b.reason or '') end
  elseif b.state == 'closed' then
    if result == 'success' then b.cf = 0
    elseif result == 'failure' then
      local f = num(b.cf, 0) + 1
      if f >= r.threshold then setopen(b, now, now + r.openMs, reason) else b.cf = f end
    end
  end
  moved(key, from, b)
end

local function lapse()
  local due = redis.call('ZRANGEBYSCORE', P .. 'lease', '-inf', '(' .. now)
  for _, id in ipairs(due) do
    local j = redis.call('HGET', P .. 'res', id)
    if j then
      local r = cjson.decode(j)
      for _, s in ipairs(r.scopes) do redis.call('HINCRBYFLOAT', P .. 'spent', s, r.usd) end
      redis.call('HSET', P .. 'lapsed', id, j)
      redis.call('HDEL', P .. 'res', id)
    end
    redis.call('ZREM', P .. 'lease', id)
  end
end

local function reservedBy()
  local reserved = {}
  for _, j in ipairs(redis.call('HVALS', P .. 'res')) do
    local r = cjson.decode(j)
    for _, s in ipairs(r.scopes) do reserved[s] = (reserved[s] or 0) + r.usd end
  end
  return reserved
end

local function reserve(id, bud)
  local unknown = redis.call('GET', P .. 'unknown')
  local reserved = reservedBy()
  for _, s in ipairs(bud.scopes) do
    local committed = num(redis.call('HGET', P .. 'spent', s.key), 0) + (reserved[s.key] or 0)
    if unknown then return { kind = 'refused', by = 'budget', scope = s.key, committedUsd = committed, capUsd = s.cap, unknown = unknown } end
    if committed + bud.usd > s.cap then return { kind = 'refused', by = 'budget', scope = s.key, committedUsd = committed, capUsd = s.cap } end
  end
  local keys = {}
  for i, s in ipairs(bud.scopes) do keys[i] = s.key end
  redis.call('HSET', P .. 'res', id, cjson.encode({ scopes = keys, usd = bud.usd }))
  redis.call('ZADD', P .. 'lease', now + bud.leaseMs, id)
  return nil
end

local function slot(key, lim, claim)
  local z = P .. 'lim:' .. key
  local tk = P .. 'limtok:' .. key
  local w = lim.windowMs
  local old = redis.call('ZRANGEBYSCORE', z, '-inf', now - w - 10000)
  if #old > 0 then redis.call('ZREM', z, unpack(old)); redis.call('HDEL', tk, unpack(old)) end
  local k = redis.call('ZCARD', z)
  local s = now
  if k > 0 then s = math.max(s, tonumber(redis.call('ZRANGE', z, -1, -1, 'WITHSCORES')[2])) end
  if k >= lim.limit then s = math.max(s, tonumber(redis.call('ZRANGE', z, k - lim.limit, k - lim.limit, 'WITHSCORES')[2]) + w) end
  if lim.tokenLimit ~= null and lim.tokens > 0 then
    local want = math.min(lim.tokens, lim.tokenLimit)
    while true do
      local inwin = redis.call('ZRANGEBYSCORE', z, '(' .. (s - w), '+inf', 'WITHSCORES')
      if #inwin == 0 then break end
      local used = 0
      for i = 1, #inwin, 2 do used = used + num(redis.call('HGET', tk, inwin[i]), 0) end
      if used + want <= lim.tokenLimit then break end
      s = tonumber(inwin[2]) + w
    end
  end
  redis.call('ZADD', z, s, claim)
  redis.call('HSET', tk, claim, lim.tokens)
  local tl = ''
  if lim.tokenLimit ~= null then tl = lim.tokenLimit end
  redis.call('HSET', P .. 'limcfg:' .. key, 'limit', lim.limit, 'tokenLimit', tl, 'windowMs', w)
  redis.call('SADD', KEYS[1], key)
  return s
end

local function unslot(key, claim)
  redis.call('ZREM', P .. 'lim:' .. key, claim)
  redis.call('HDEL', P .. 'limtok:' .. key, claim)
end

-- The figures of one key. Token use needs a look at every slot in the window, so it is summed only for the
-- status view (full = true) or when the endpoint has a token limit.
local function figures(key, guard, full)
  local b = brget(key)
  local out = { breaker = { snap = snap(b), probeMaxMs = num(b.probeMaxMs, 30000), calls = num(b.calls, 0), failures = num(b.failures, 0), successes = num(b.successes, 0), totalMs = num(b.totalMs, 0) } }
  local cfg = redis.call('HGETALL', P .. 'limcfg:' .. key)
  if #cfg > 0 then
    local c = {}
    for i = 1, #cfg, 2 do c[cfg[i]] = cfg[i + 1] end
    local w = num(c.windowMs, 60000)
    local shown = math.max(1, w - guard)
    local z = P .. 'lim:' .. key
    local tlim = null
    if c.tokenLimit ~= nil and c.tokenLimit ~= '' then tlim = tonumber(c.tokenLimit) end
    local tokens = 0
    if full or tlim ~= null then
      for _, m in ipairs(redis.call('ZRANGEBYSCORE', z, '(' .. (now - shown), now)) do tokens = tokens + num(redis.call('HGET', P .. 'limtok:' .. key, m), 0) end
    end
    out.limiter = { used = redis.call('ZCOUNT', z, '(' .. (now - shown), now), limit = num(c.limit, 1), tokensUsed = tokens, tokenLimit = tlim, queued = redis.call('ZCOUNT', z, '(' .. now, '+inf'), windowMs = shown }
  end
  return out
end

local function budgetFigures()
  local spent = {}
  local h = redis.call('HGETALL', P .. 'spent')
  for i = 1, #h, 2 do spent[h[i]] = tonumber(h[i + 1]) end
  local out = { spent = spent, reserved = reservedBy() }
  local unknown = redis.call('GET', P .. 'unknown')
  if unknown then out.unknown = unknown end
  return out
end

lapse()
local res = { now = now }
if op == 'admit' then
  local b = brget(a.key)
  b.probeMaxMs = a.br.probeMaxMs
  local ok, st, ra = check(b, a.br)
  if not ok then
    res.outcome = { kind = 'refused', by = 'breaker', state = st, retryAt = ra }
  else
    local refusal = nil
    if a.bud ~= nil and #a.bud.scopes > 0 then refusal = reserve(a.id, a.bud) end
    if refusal then
      res.outcome = refusal
    else
      local s = now
      if a.lim ~= nil then s = slot(a.key, a.lim, a.id) end
      if s > now then
        res.outcome = { kind = 'queued', slot = s, waitMs = s - now }
      else
        local _, permit = gate(a.key, b, a.br, a.id)
        res.outcome = { kind = 'granted', permit = permit }
      end
      res.slot = s
    end
  end
  brput(a.key, b)
elseif op == 'start' then
  local b = brget(a.key)
  local ok, p, ra = gate(a.key, b, a.br, a.claim)
  if ok then res.outcome = { kind = 'granted', permit = p }
  else unslot(a.key, a.claim); res.outcome = { kind = 'refused', by = 'breaker', state = p, retryAt = ra } end
  brput(a.key, b)
elseif op == 'cancel' then
  unslot(a.key, a.claim)
elseif op == 'done' then
  local b = brget(a.key)
  if a.count then
    b.calls = num(b.calls, 0) + 1
    b.totalMs = num(b.totalMs, 0) + a.ms
    if a.result == 'success' then b.successes = num(b.successes, 0) + 1 else b.failures = num(b.failures, 0) + 1 end
  end
  after(a.key, b, a.br, a.claim, a.result, a.reason or a.result)
  brput(a.key, b)
  res.outcome = snap(b)
elseif op == 'settle' then
  local live = redis.call('HGET', P .. 'res', a.res)
  local gone = redis.call('HGET', P .. 'lapsed', a.res)
  local j = live or gone
  if j then
    local r = cjson.decode(j)
    local back = 0
    if not live then back = r.usd end
    for _, s in ipairs(r.scopes) do
      local v = num(redis.call('HGET', P .. 'spent', s), 0) - back + a.usd
      if v < 0 then v = 0 end
      redis.call('HSET', P .. 'spent', s, tostring(v))
    end
    redis.call('HDEL', P .. 'res', a.res)
    redis.call('HDEL', P .. 'lapsed', a.res)
    redis.call('ZREM', P .. 'lease', a.res)
  end
elseif op == 'renew' then
  for _, id in ipairs(a.res) do
    if redis.call('HEXISTS', P .. 'res', id) == 1 then
      local cur = num(redis.call('ZSCORE', P .. 'lease', id), 0)
      redis.call('ZADD', P .. 'lease', math.max(cur, now + a.leaseMs), id)
    end
  end
elseif op == 'reset' then
  if redis.call('EXISTS', P .. 'br:' .. a.key) == 1 then
    local b = brget(a.key)
    local from = b.state
    setclosed(b)
    brput(a.key, b)
    moved(a.key, from, b, a.reason)
    res.outcome = true
  else
    res.outcome = false
  end
elseif op == 'rebase' then
  redis.call('DEL', P .. 'spent', P .. 'lapsed')
  for k, v in pairs(a.spent) do redis.call('HSET', P .. 'spent', k, tostring(v)) end
  if a.unknown ~= nil and a.unknown ~= null then redis.call('SET', P .. 'unknown', a.unknown) else redis.call('DEL', P .. 'unknown') end
elseif op == 'seed' then
  -- The first process to use this database brings its own spending; later ones find it there.
  if redis.call('SETNX', P .. 'seeded', now) == 1 then
    for k, v in pairs(a.spent) do redis.call('HINCRBYFLOAT', P .. 'spent', k, v) end
  end
elseif op == 'view' then
  local breakers, limiters = {}, {}
  for _, key in ipairs(redis.call('SMEMBERS', KEYS[1])) do
    local f = figures(key, a.guard, true)
    breakers[key] = f.breaker
    if f.limiter then limiters[key] = f.limiter end
  end
  res.view = { breakers = breakers, limiters = limiters, budget = budgetFigures() }
end
if a.key ~= nil and op ~= 'view' and op ~= 'cancel' then res.figures = figures(a.key, a.guard or 0, false) end
res.transitions = transitions
return cjson.encode(res)
`;
