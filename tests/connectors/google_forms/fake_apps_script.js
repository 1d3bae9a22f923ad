// Runs the generated Apps Script under Node with fake FormApp, Utilities, UrlFetchApp and
// PropertiesService objects built from the emulator's view of a form and a response
// (argv: script, view JSON, and optionally a scenario JSON).
// Without a scenario: runs the form-submit handler, returns 200 to every fetch and prints the
// requests that UrlFetchApp.fetch received, as JSON.
// With a scenario {call: "submit" | "resend", statuses: [...], properties: {...}, known_ids}:
// returns the given statuses to the fetches in turn (0 throws as an unreachable address does,
// and 200 follows the last one), and prints {fetched, properties, error} after the call.
'use strict';
const crypto = require('crypto');
const fs = require('fs');
const vm = require('vm');

const script = fs.readFileSync(process.argv[2], 'utf8');
const view = JSON.parse(fs.readFileSync(process.argv[3], 'utf8'));
const scenario = process.argv[4] ? JSON.parse(fs.readFileSync(process.argv[4], 'utf8')) : null;
const statuses = scenario ? scenario.statuses.slice() : [];
const properties = Object.assign({}, scenario ? scenario.properties : {});
const fetched = [];

function fakeItem(item) {
  const rows = { getRows: () => item.rows.slice() };
  return {
    getId: () => item.id,
    getType: () => item.type,
    getTitle: () => item.title,
    asGridItem: () => { if (item.type !== 'GRID') throw new Error('not a grid'); return rows; },
    asCheckboxGridItem: () => {
      if (item.type !== 'CHECKBOX_GRID') throw new Error('not a checkbox grid');
      return rows;
    },
  };
}

const items = view.form.items.map(fakeItem);
const byId = new Map(items.map((item) => [item.getId(), item]));
const response = {
  getId: () => view.response.id,
  getTimestamp: () => new Date(view.response.timestamp),
  getRespondentEmail: () => view.response.respondent_email,
  getItemResponses: () => view.response.item_responses.map((entry) => ({
    getItem: () => byId.get(entry.item_id),
    getResponse: () => entry.response,
  })),
};
const form = {
  getId: () => view.form.id,
  getTitle: () => view.form.title,
  getItems: () => items,
  getResponses: () => [response],
  // Ids in scenario.known_ids stand for other responses still in the form.
  getResponse: (responseId) => {
    const known = scenario && (scenario.known_ids || []).indexOf(responseId) !== -1;
    if (responseId !== view.response.id && !known) {
      throw new Error('No response with ID ' + responseId);
    }
    return response;
  },
};

const context = {
  FormApp: { getActiveForm: () => form },
  Utilities: {
    Charset: { UTF_8: 'UTF_8' },
    // Apps Script returns Java bytes: signed, from -128 to 127.
    computeHmacSha256Signature: (value, key, charset) => {
      if (charset !== 'UTF_8') throw new Error('expected the UTF-8 charset');
      const digest = crypto.createHmac('sha256', Buffer.from(key, 'utf8'))
        .update(Buffer.from(value, 'utf8')).digest();
      return Array.from(digest, (byte) => (byte > 127 ? byte - 256 : byte));
    },
    sleep: () => {},
  },
  UrlFetchApp: {
    fetch: (url, options) => {
      fetched.push({ url, options });
      const status = statuses.length ? statuses.shift() : 200;
      if (status === 0) throw new Error('Address unavailable: ' + url);
      const text = status === 200 ? '{"status": "accepted"}' : '{"detail": "unavailable"}';
      return { getResponseCode: () => status, getContentText: () => text };
    },
  },
  PropertiesService: {
    getScriptProperties: () => ({
      getProperty: (key) => (key in properties ? properties[key] : null),
      setProperty: (key, value) => { properties[key] = String(value); },
      deleteProperty: (key) => { delete properties[key]; },
    }),
  },
  console: { log: () => {}, info: () => {}, warn: () => {}, error: () => {} },
};
vm.createContext(context);
vm.runInContext(script, context, { filename: 'apps_script.js' });
if (!scenario) {
  vm.runInContext('arrimageOnFormSubmit', context)({ source: form, response });
  process.stdout.write(JSON.stringify(fetched));
} else {
  let error = null;
  try {
    if (scenario.call === 'resend') {
      vm.runInContext('arrimageResendPending', context)();
    } else {
      vm.runInContext('arrimageOnFormSubmit', context)({ source: form, response });
    }
  } catch (caught) {
    error = String(caught.message);
  }
  process.stdout.write(JSON.stringify({ fetched, properties, error }));
}
