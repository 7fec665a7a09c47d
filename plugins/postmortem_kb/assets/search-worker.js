/* The site search box's engine: mkdocs-material's search worker, answering from our index.
 *
 * The theme's search box (header, result list, keyboard) stays as it is; the page runs this
 * worker instead of the theme's (the plugin points the theme's configuration at it) and talks
 * to it with the theme's messages: SETUP → READY, then QUERY → RESULT. The index is written at
 * build time in pieces (`search/browser_index.py`): the manifest when the page opens, then per
 * question one term shard per word and one document chunk per result shown, so the first
 * result costs kilobytes however large the library is.
 *
 * Words become terms by the rules in the manifest (`search/terms.py`): the same stop words,
 * folding and Porter stemmer as at build time. Ranking is BM25F with the build's weights,
 * times the share of the question a result covers, each word counting by how rare it is
 * (`pmkb search` counts words alike), so an incident that matches more of a question comes
 * first, and missing a rare word costs more than missing a common one. A word the index does
 * not know matches the words one edit away (insertion, deletion, substitution, transposition)
 * in its shard; the unfinished last word also matches the words it begins. Severity words
 * (`sev1`, `SEV-1`, configured aliases such as `p1`) put incidents of that severity first, or
 * list them newest first when nothing else in the question matches.
 *
 * Results are HTML for the theme's result list: every text is escaped here, and only `<p>` and
 * `<mark>` are added. Functions are plain declarations, so a test can load this file into a
 * page and call `termRules` to compare its terms with the Python side's.
 */
"use strict"

/* The theme's message types (material/.../integrations/search/worker/message). */
const SETUP = 0, READY = 1, QUERY = 2, RESULT = 3

/* How many results a question shows: each one costs its document chunk. The first ones come
 * as soon as their chunks are in, then all of them: as many as a browser fetches from one host
 * at once (six connections), which is more than the box shows without scrolling. */
const MAX_RESULTS = 20, FIRST_RESULTS = 6
/* What a near match is worth against the word itself: a typo, the start of a longer word. */
const TYPO_FACTOR = 0.7, PREFIX_FACTOR = 0.8
/* Near matches a word may take at most (the most used ones). */
const MAX_EXPANSIONS = 8
/* The shortest word that is corrected or completed: shorter ones match too much. */
const MIN_NEAR_LENGTH = 3

const TOKEN = /[\p{L}\p{N}]+/gu

let index = null        /* Promise of the loaded index (manifest and rules) */
let suggest = false     /* Whether the theme shows a completion of the last word */
let latest = 0          /* Number of the newest query: an older one's result is dropped */

/** Lower case without accents, as `terms.fold` folds at build time. */
function fold(text) {
  return text.toLowerCase().normalize("NFKD").replace(/\p{M}/gu, "")
}

/** The stemmer of `terms.stem`, driven by the tables and patterns of the manifest. */
function porterStemmer(porter) {
  const p = {}
  for (const [name, source] of Object.entries(porter.patterns))
    p[name] = new RegExp(source)
  const suffixes = list => new RegExp(`^(.+?)(${list.join("|")})$`)
  const step2 = suffixes(Object.keys(porter.step2))
  const step3 = suffixes(Object.keys(porter.step3))
  const step4 = suffixes(porter.step4)
  return function stem(word) {
    if (word.length < 3)
      return word
    const firstIsY = word[0] === "y"
    if (firstIsY)
      word = "Y" + word.slice(1)
    let found
    if (word.endsWith("sses") || word.endsWith("ies"))
      word = word.slice(0, -2)
    else if (word.endsWith("s") && word[word.length - 2] !== "s")
      word = word.slice(0, -1)
    if (word.endsWith("eed")) {
      if (p.mgr0.test(word.slice(0, -3)))
        word = word.slice(0, -1)
    } else if ((found = p.edIng.exec(word))) {
      const base = found[1]
      if (p.vowel.test(base)) {
        word = base
        if (p.atBlIz.test(word))
          word += "e"
        else if (p.double.test(word))
          word = word.slice(0, -1)
        else if (p.cvc.test(word))
          word += "e"
      }
    }
    if (word.endsWith("y") && p.vowel.test(word.slice(0, -1)))
      word = word.slice(0, -1) + "i"
    for (const [step, table] of [[step2, porter.step2], [step3, porter.step3]])
      if ((found = step.exec(word)) && p.mgr0.test(found[1]))
        word = found[1] + table[found[2]]
    if ((found = step4.exec(word))) {
      if (p.mgr1.test(found[1]))
        word = found[1]
    } else if ((found = p.step4Tion.exec(word))) {
      const base = found[1] + found[2]
      if (p.mgr1.test(base))
        word = base
    }
    if ((found = p.step5.exec(word))) {
      const base = found[1]
      if (p.mgr1.test(base) || (p.meq1.test(base) && !p.cvc.test(base)))
        word = base
    }
    if (word.endsWith("ll") && p.mgr1.test(word))
      word = word.slice(0, -1)
    if (firstIsY)
      word = "y" + word.slice(1)
    return word
  }
}

/** Term rules from the manifest: `words(text)` and `stem(word)`, as `terms.py` has them. */
function termRules(rules) {
  const stopWords = new Set(rules.stopWords)
  const stemWord = porterStemmer(rules.porter)
  const cache = new Map()
  return {
    isTerm: word => word.length >= rules.minLength && !stopWords.has(word),
    words: text => (fold(text).match(TOKEN) || [])
      .filter(word => word.length >= rules.minLength && !stopWords.has(word)),
    stem(word) {
      let stemmed = cache.get(word)
      if (stemmed === undefined)
        cache.set(word, stemmed = stemWord(word))
      return stemmed
    }
  }
}

/** For each word naming a severity (`sev1`, `p1`), a pattern finding it in folded text,
 * with or without separators and leading zeros: "SEV-1", "sev 1", "sev01", "P1". */
function severityPatterns(severityWords) {
  return Object.entries(severityWords).map(([word, level]) => {
    const parts = word.match(/\p{L}+|\p{N}+/gu) || []
    const source = parts
      .map(part => /^\p{N}/u.test(part) ? `0*${part.replace(/^0+(?=.)/, "")}` : part)
      .join("[\\s._-]*")
    return [new RegExp(`(?<![\\p{L}\\p{N}])${source}(?![\\p{L}\\p{N}])`, "gu"), level]
  })
}

/** The index, starting with its manifest: the plugin names the manifest in this script's
 * query string (`?index=`), relative to the script. The manifest is revalidated, since pages
 * always point at the same name; every other piece carries the manifest's version. */
async function loadIndex() {
  const location = new URL(self.location.href)
  const url = new URL(location.searchParams.get("index") || "manifest.json", location)
  const response = await fetch(url, { cache: "no-cache" })
  if (!response.ok)
    throw new Error(`${url}: ${response.status} ${response.statusText}`)
  const manifest = await response.json()
  if (manifest.format !== 1)
    throw new Error(`${url}: index format ${manifest.format}, expected 1`)
  return {
    url,
    manifest,
    rules: termRules(manifest.rules),
    severities: severityPatterns(manifest.severityWords),
    pieces: new Map()
  }
}

/** A piece of the index (a shard or a chunk), fetched once per worker. */
function piece(idx, name) {
  let pending = idx.pieces.get(name)
  if (pending === undefined) {
    const url = new URL(`${name}?v=${idx.manifest.version}`, idx.url)
    pending = fetch(url).then(response => {
      if (!response.ok)
        throw new Error(`${url}: ${response.status} ${response.statusText}`)
      return response.json()
    })
    pending.catch(() => idx.pieces.delete(name))
    idx.pieces.set(name, pending)
  }
  return pending
}

/** The number of the shard whose range holds `term` (shards start at sorted stems). */
function shardOf(shards, term) {
  let low = 0, high = shards.length - 1
  while (low < high) {
    const middle = (low + high + 1) >> 1
    if (shards[middle] <= term)
      low = middle
    else
      high = middle - 1
  }
  return low
}

/** Whether `a` becomes `b` by at most one insertion, deletion, substitution or swap of
 * neighbouring letters. */
function withinOneEdit(a, b) {
  if (Math.abs(a.length - b.length) > 1)
    return false
  let i = 0
  while (i < a.length && i < b.length && a[i] === b[i])
    i++
  if (a.length === b.length)
    return a.slice(i + 1) === b.slice(i + 1) || (
      a[i] === b[i + 1] && a[i + 1] === b[i] && a.slice(i + 2) === b.slice(i + 2))
  return a.length > b.length
    ? a.slice(i + 1) === b.slice(i)
    : a.slice(i) === b.slice(i + 1)
}

/** The question: the severities it names, and its words with their stems. The last word is
 * `partial` while it is being typed (no space after it yet). */
function parseQuestion(idx, text) {
  const severities = new Set()
  let rest = fold(text)
  for (const [pattern, level] of idx.severities)
    rest = rest.replace(pattern, () => {
      severities.add(level)
      return " "
    })
  const tokens = [...rest.matchAll(TOKEN)]
  const last = tokens[tokens.length - 1]
  const words = new Map()
  for (const token of tokens) {
    const word = token[0]
    if (!idx.rules.isTerm(word))
      continue
    const partial = token === last && token.index + word.length === rest.length
    const stem = idx.rules.stem(word)
    if (!words.has(stem))
      words.set(stem, { word, stem, partial })
  }
  return { severities, words: [...words.values()] }
}

/** The index terms a word matches, each with what a match is worth: the word's own stem;
 * failing that, words one edit away and, while typed, the words it begins. */
function matchingTerms(idx, shard, word) {
  if (Object.hasOwn(shard.terms, word.stem))
    return [{ term: word.stem, factor: 1, word: word.word }]
  if (word.word.length < MIN_NEAR_LENGTH)
    return []
  const near = new Map()
  const add = (term, factor, from) => {
    if (Object.hasOwn(shard.terms, term) && !(near.get(term)?.factor >= factor))
      near.set(term, { term, factor, word: from })
  }
  if (word.partial)
    for (const longer of wordsStarting(shard, word.word))
      add(idx.rules.stem(longer), PREFIX_FACTOR, longer)
  for (const candidate of shard.words)
    if (withinOneEdit(word.word, candidate))
      add(idx.rules.stem(candidate), TYPO_FACTOR, candidate)
  return [...near.values()]
    .sort((a, b) => shard.terms[b.term].length - shard.terms[a.term].length)
    .slice(0, MAX_EXPANSIONS)
}

/** The words of the shard that begin with `prefix` (sorted, as the shard has them). */
function* wordsStarting(shard, prefix) {
  for (let at = lowerBound(shard.words, prefix);
    at < shard.words.length && shard.words[at].startsWith(prefix); at++)
    yield shard.words[at]
}

/** The most used word of the shard that the unfinished `word` begins, if any. */
function completion(idx, shard, word) {
  let best, most = 0
  for (const longer of wordsStarting(shard, word.word)) {
    const term = idx.rules.stem(longer)
    if (longer !== word.word && Object.hasOwn(shard.terms, term)
        && shard.terms[term].length > most)
      [best, most] = [longer, shard.terms[term].length]
  }
  return best
}

function lowerBound(sorted, value) {
  let low = 0, high = sorted.length
  while (low < high) {
    const middle = (low + high) >> 1
    if (sorted[middle] < value)
      low = middle + 1
    else
      high = middle
  }
  return low
}

/** Ranked document numbers for a parsed question, best first, and what each word matched. */
async function rank(idx, question) {
  const { manifest } = idx
  const count = manifest.documents
  /* A library without a single term has no shard: each word then matches nothing. */
  const shards = manifest.shards.length ? await Promise.all(question.words.map(word =>
    piece(idx, `t${shardOf(manifest.shards, word.stem)}.json`))) : []
  const score = new Float64Array(count)
  const covered = new Float64Array(count)
  const matched = question.words.map(() => new Uint8Array(count))
  const found = new Set()
  let total = 0
  question.words.forEach((word, position) => {
    const terms = shards.length ? matchingTerms(idx, shards[position], word) : []
    if (!terms.length)
      return
    word.shown = terms[0].word
    const best = new Float64Array(count)
    let importance = 0
    for (const { term, factor, word: from } of terms) {
      found.add(from)
      const postings = shards[position].terms[term]
      const frequency = postings.length / 2
      const idf = Math.log(1 + (count - frequency + 0.5) / (frequency + 0.5)) * factor
      importance = Math.max(importance, idf)
      for (let i = 0, document = 0; i < postings.length; i += 2) {
        document += postings[i]
        best[document] = Math.max(best[document], idf * postings[i + 1])
      }
    }
    total += importance
    for (let document = 0; document < count; document++)
      if (best[document] > 0) {
        score[document] += best[document]
        covered[document] += importance
        matched[position][document] = 1
      }
  })
  const wanted = question.severities
  const severityOf = manifest.severityOf
  let ranked = []
  if (total > 0) {
    for (let document = 0; document < count; document++)
      if (score[document] > 0)
        ranked.push(document)
    const final = document => score[document] * covered[document] / total
    const first = document => wanted.has(severityOf[document]) ? 1 : 0
    ranked = ranked
      .map(document => [document, final(document), first(document)])
      .sort((a, b) => b[2] - a[2] || b[1] - a[1] || a[0] - b[0])
      .slice(0, MAX_RESULTS)
  } else if (wanted.size) {
    for (let document = 0; document < count && ranked.length < MAX_RESULTS; document++)
      if (wanted.has(severityOf[document]))
        ranked.push([document, 1 / (ranked.length + 1), 1])
  }
  const last = question.words.length - 1
  const completed = question.words[last]?.partial && shards.length
    ? completion(idx, shards[last], question.words[last]) : undefined
  return { ranked, matched, found, completed }
}

/** `text` as HTML, each word that stems to a `found` term marked. */
function marked(idx, text, stems) {
  let html = ""
  let at = 0
  for (const token of text.matchAll(TOKEN)) {
    const words = idx.rules.words(token[0])
    if (words.length && words.every(word => stems.has(idx.rules.stem(word)))) {
      html += escapeHTML(text.slice(at, token.index)) + `<mark>${escapeHTML(token[0])}</mark>`
      at = token.index + token[0].length
    }
  }
  return html + escapeHTML(text.slice(at))
}

function escapeHTML(text) {
  return text.replace(/[&<>"']/g, char => `&#${char.charCodeAt(0)};`)
}

/** How many of `text`'s words stem to a found term. */
function hits(idx, text, stems) {
  return idx.rules.words(text).filter(word => stems.has(idx.rules.stem(word))).length
}

/** The theme's results for a question, best first: the first ones as soon as their chunks
 * are in, then all of them (one result when there are few). */
async function* search(idx, text) {
  const question = parseQuestion(idx, text)
  if (!question.words.length && !question.severities.size) {
    yield { items: [] }
    return
  }
  const ranking = await rank(idx, question)
  const size = idx.manifest.chunkSize
  const chunks = ranking.ranked.map(([document]) =>
    piece(idx, `d${Math.floor(document / size)}.json`))
  const stems = new Set([...ranking.found].map(word => idx.rules.stem(word)))
  for (const count of new Set([Math.min(FIRST_RESULTS, chunks.length), chunks.length])) {
    const loaded = await Promise.all(chunks.slice(0, count))
    yield shownResults(idx, question, ranking, loaded, stems)
  }
}

/** The theme's result: one item per ranked document whose chunk is `loaded`. */
function shownResults(idx, question, { ranked, matched, completed }, loaded, stems) {
  const size = idx.manifest.chunkSize
  let shown = Infinity
  const items = loaded.map((chunk, position) => {
    const [document, score] = ranked[position]
    const [url, title, summary, keyLearning, severity, date] = chunk[document % size]
    const snippet = summary && hits(idx, summary, stems) >= hits(idx, keyLearning, stems)
      ? summary : keyLearning || summary
    const terms = {}  /* word → whether this result has it; the theme lists the missing */
    question.words.forEach((word, number) => {
      if (word.shown || !word.partial)  /* an unfinished word that matches nothing yet */
        terms[word.shown || word.word] = matched[number][document] === 1
    })
    /* Never above the result before: the theme's Enter opens the highest score. */
    shown = Math.min(shown, score)
    return [{
      location: url,
      title: marked(idx, title, stems),
      text: snippet && `<p>${marked(idx, snippet, stems)}</p>`,
      tags: [severity, date].filter(Boolean).map(escapeHTML),
      score: shown,
      terms
    }]
  })
  const result = { items }
  if (suggest)
    result.suggest = completed ? [completed] : []
  return result
}

addEventListener("message", async ({ data: message }) => {
  switch (message.type) {
    case SETUP:
      suggest = !!message.data.options?.suggest
      index = loadIndex()
      try {
        await index
      } catch (error) {
        console.error(`Site search: cannot load the index: ${error.message}`)
      }
      postMessage({ type: READY })
      break
    case QUERY: {
      const query = ++latest
      try {
        for await (const result of search(await index, message.data)) {
          if (query !== latest)
            break
          postMessage({ type: RESULT, data: result })
        }
      } catch (error) {
        console.error(`Site search: ${error.message}`)
        if (query === latest)
          postMessage({ type: RESULT, data: { items: [] } })
      }
      break
    }
  }
})
