// wsdoctor's timer worker: runs a heartbeat timer chain off the main thread (a hidden
// page's timers are throttled; a dedicated Worker's are not, or much less), and reports
// when each tick was due and when it fired, on the page's clock.
//
// Messages in:  {type: "start", every: <ms>, pageOrigin: <performance.timeOrigin of the page>}
//               {type: "stop"}
// Messages out: {due: <ms>, fired: <ms>}   (page clock: ms since the page's timeOrigin)
"use strict";

let timer = null;
let every = 0;
let due = 0;
let pageOrigin = 0;

function pageNow() {
  return performance.timeOrigin + performance.now() - pageOrigin;
}

function schedule() {
  due = pageNow() + every;
  timer = setTimeout(tick, every);
}

function tick() {
  postMessage({ due: due, fired: pageNow() });
  schedule();
}

onmessage = function (event) {
  const message = event.data || {};
  if (timer !== null) {
    clearTimeout(timer);
    timer = null;
  }
  if (message.type === "start" && message.every > 0) {
    every = message.every;
    pageOrigin = message.pageOrigin;
    schedule();
  }
};
