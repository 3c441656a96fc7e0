export * from '../../../src/bench/sip/children.js' // moved there so bench:load --sip can use it; the tests import it from here
