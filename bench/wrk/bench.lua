-- wrk script of `make bench` (see bench/README.md).
--
-- wrk ... -s bench.lua URL -- MODE [ARGS...]
--   get                                        the URL as given (headers from -H)
--   appointment BASE_EPOCH SLOT CASE:CHILD:TOKEN
--                                              POST a new session on the case, each at a
--                                              time of its own (no clash between requests)
--   mix BASE_EPOCH SLOT PDF_PATH CASE:CHILD:TOKEN...
--                                              in turn: a session, a progress note on a
--                                              session this thread made, a party, a PDF
--                                              upload, each on the next case given
-- Any answer other than 200 or 201 counts as an error; done() prints one line
-- "BENCH {json}" that bench/run.py reads.

local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("tid", #threads)
end

local mode, base, slot = "get", 0, 0
local cases, pdf = {}, ""
local counter, appointments = 0, {}
errors, first_error = 0, ""

local function split(text)
  local out = {}
  for part in string.gmatch(text, "[^:]+") do table.insert(out, part) end
  return out
end

function init(args)
  mode = args[1] or "get"
  if mode == "get" then return end
  base = tonumber(args[2])
  slot = tonumber(args[3]) * 100 + tid
  local first = 4
  if mode == "mix" then
    local handle = assert(io.open(args[4], "rb"))
    pdf = handle:read("*a")
    handle:close()
    first = 5
  end
  for i = first, #args do table.insert(cases, split(args[i])) end
end

local function at()
  -- An hour of its own for every request of every thread and process of this run.
  local hour = slot * 5000 + counter
  return os.date("!%Y-%m-%dT%H:00:00Z", base + hour * 3600)
end

local function headers(token, kind)
  return { ["Authorization"] = "Bearer " .. token, ["Content-Type"] = kind }
end

local function appointment(case)
  local body = string.format(
    '{"kind":"individual","starts_at":"%s","participant_ids":[%s]}', at(), case[2])
  return wrk.format("POST", "/api/v1/cases/" .. case[1] .. "/appointments",
    headers(case[3], "application/json"), body)
end

local function note(case, id)
  local body = '{"format":"dap","body":{"data":"Bench.","assessment":"Calm.","plan":"Next."}}'
  return wrk.format("POST", "/api/v1/appointments/" .. id .. "/notes",
    headers(case[3], "application/json"), body)
end

local function party(case)
  local body = string.format(
    '{"role":"extended_family","first_name":"Aunt","last_name":"Bench %d-%d"}', slot, counter)
  return wrk.format("POST", "/api/v1/cases/" .. case[1] .. "/parties",
    headers(case[3], "application/json"), body)
end

local function upload(case)
  local boundary = "benchboundary" .. slot .. "x" .. counter
  local body = table.concat({
    "--" .. boundary,
    'Content-Disposition: form-data; name="kind"', "", "other",
    "--" .. boundary,
    'Content-Disposition: form-data; name="title"', "", "Bench upload " .. counter,
    "--" .. boundary,
    'Content-Disposition: form-data; name="file"; filename="bench.pdf"',
    "Content-Type: application/pdf", "", pdf,
    "--" .. boundary .. "--", "",
  }, "\r\n")
  return wrk.format("POST", "/api/v1/cases/" .. case[1] .. "/documents",
    headers(case[3], "multipart/form-data; boundary=" .. boundary), body)
end

function request()
  if mode == "get" then return wrk.request() end
  counter = counter + 1
  local case = cases[(counter + tid) % #cases + 1]
  if mode == "appointment" then return appointment(case) end
  local turn = counter % 4
  if turn == 1 and #appointments > 0 then
    local made = table.remove(appointments, 1)
    return note(made[1], made[2])
  elseif turn == 2 then
    return party(case)
  elseif turn == 3 then
    return upload(case)
  end
  return appointment(case)
end

function response(status, headers, body)
  if status ~= 200 and status ~= 201 then
    errors = errors + 1
    if first_error == "" then first_error = status .. " " .. string.sub(body or "", 1, 300) end
    return
  end
  if mode == "mix" and body and string.find(body, '"starts_at"', 1, true)
      and string.find(body, '"participants"', 1, true) then
    local id = string.match(body, '^{"id":%s*(%d+)')
    local case_id = string.match(body, '"case_id":%s*(%d+)')
    for _, case in ipairs(cases) do
      if id and case[1] == case_id then
        table.insert(appointments, { case, id })
        break
      end
    end
  end
end

function done(summary, latency, requests)
  local bad, sample = 0, ""
  for _, thread in ipairs(threads) do
    bad = bad + thread:get("errors")
    if sample == "" then sample = thread:get("first_error") end
  end
  local e = summary.errors
  sample = string.gsub(string.gsub(sample, '\\', '\\\\'), '"', '\\"')
  sample = string.gsub(sample, "[%c]", " ")
  io.write(string.format(
    'BENCH {"requests":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,"bad_status":%d,'
      .. '"socket_errors":%d,"first_error":"%s"}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), bad,
    e.connect + e.read + e.write + e.timeout, sample))
end
